"""``hedgelab calc option``: JSON keys and values against an independent Black-76, exit code 2 on bad input."""
import json
import math

import pytest
from scipy.stats import norm

import hedgelab.cli.calc_option  # noqa: F401  (registers the command on the calc group)
from hedgelab.cli import main


def run(capsys, *args):
    code = 0
    try:
        main(["calc", "option", *args])
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def reference(f, k, days, s, call):
    # Black-76 with D = 1 via scipy: price, delta N(d1) / N(d1)-1, gamma n(d1)/(F s sqrtT),
    # vega F n(d1) sqrtT per unit vol (/100 per vol point), theta -F n(d1) s/(2 sqrtT) per year (/365)
    t = days / 365
    d1 = (math.log(f / k) + 0.5 * s * s * t) / (s * math.sqrt(t))
    d2 = d1 - s * math.sqrt(t)
    price = f * norm.cdf(d1) - k * norm.cdf(d2) if call else k * norm.cdf(-d2) - f * norm.cdf(-d1)
    return {"price_usd": price, "price_btc": price / f, "delta": norm.cdf(d1) - (0 if call else 1),
            "gamma": norm.pdf(d1) / (f * s * math.sqrt(t)), "vega": f * norm.pdf(d1) * math.sqrt(t) / 100,
            "theta": -f * norm.pdf(d1) * s / (2 * math.sqrt(t)) / 365}


@pytest.mark.parametrize("kind", ["put", "call"])
def test_json_matches_independent_black76(capsys, kind):
    code, out, _ = run(capsys, "--type", kind, "--strike", "90000", "--forward", "100000",
                       "--days", "30", "--iv", "0.5", "--json")
    assert code == 0
    got = json.loads(out)
    for key, want in reference(100_000.0, 90_000.0, 30.0, 0.5, kind == "call").items():
        assert got[key] == pytest.approx(want, rel=1e-9), key


def test_spot_basis_and_expiry_at(capsys):
    # forward = 100,000 * exp(0.05 * 30/365); 30 days between --at and --expiry
    code, out, _ = run(capsys, "--type", "put", "--strike", "95000", "--spot", "100000", "--basis", "0.05",
                       "--expiry", "2025-11-28T08:00:00Z", "--at", "2025-10-29T08:00:00Z", "--iv", "0.6", "--json")
    assert code == 0
    got = json.loads(out)
    f = 100_000.0 * math.exp(0.05 * 30 / 365)
    assert got["forward"] == pytest.approx(f, rel=1e-12) and got["days"] == pytest.approx(30.0)
    assert got["price_usd"] == pytest.approx(reference(f, 95_000.0, 30.0, 0.6, False)["price_usd"], rel=1e-9)


def test_discount_rate(capsys):
    # with r: price = exp(-r T) * undiscounted Black-76 price
    code, out, _ = run(capsys, "--type", "call", "--strike", "100000", "--forward", "100000",
                       "--days", "73", "--iv", "0.5", "--r", "0.05", "--json")
    assert code == 0
    want = math.exp(-0.05 * 0.2) * reference(100_000.0, 100_000.0, 73.0, 0.5, True)["price_usd"]
    assert json.loads(out)["price_usd"] == pytest.approx(want, rel=1e-12)


def test_text_output(capsys):
    code, out, _ = run(capsys, "--type", "call", "--strike", "100000", "--forward", "100000",
                       "--days", "7", "--iv", "0.4")
    assert code == 0 and "price" in out and "vega" in out and "USD per 0.01 vol" in out


@pytest.mark.parametrize("args,fragment", [
    (["--strike", "-5", "--forward", "1e5", "--days", "30", "--iv", "0.5"], "--strike"),
    (["--strike", "9e4", "--forward", "1e5", "--days", "30", "--iv", "60"], "looks like a percentage"),
    (["--strike", "9e4", "--forward", "1e5", "--days", "-1", "--iv", "0.5"], "--days"),
    (["--strike", "9e4", "--days", "30", "--iv", "0.5"], "--forward"),
    (["--strike", "9e4", "--forward", "1e5", "--spot", "1e5", "--days", "30", "--iv", "0.5"], "exactly one"),
    (["--strike", "9e4", "--forward", "1e5", "--expiry", "2025-10-01T08:00Z", "--at", "2025-10-02T00:00Z",
      "--iv", "0.5"], "is not after"),
    (["--strike", "9e4", "--forward", "1e5", "--expiry", "nonsense", "--at", "2025-10-02", "--iv", "0.5"],
     "--expiry"),
    (["--strike", "9e4", "--forward", "1e5", "--iv", "0.5"], "--days"),
    (["--strike", "9e4", "--forward", "1e5", "--days", "30", "--iv", "0.5", "--r", "5"], "--r"),
    (["--strike", "9e4", "--spot", "1e5", "--basis", "7", "--days", "30", "--iv", "0.5"], "--basis"),
])
def test_bad_input_exits_2_with_one_line(capsys, args, fragment):
    code, out, err = run(capsys, "--type", "put", *args)
    assert code == 2
    assert err.startswith("error: ") and fragment in err and err.count("\n") == 1
