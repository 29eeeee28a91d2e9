"""--costs FILE, the config's [costs] table and --no-costs reach the engine; bad input is one line, exit 2.

Expected numbers by hand: hold buys spot with the whole capital at the first bar's index close P0; with
no fees and no slippage it holds capital / P0 BTC, so its final equity is capital x P_T / P0 exactly.
"""
import pytest

from hedgelab.data import load

from testkit import cli as h

RANGE = ["--start", "2025-10-01", "--end", "2025-10-03"]


def _final(out):
    summary, events = h.read_outputs(out)
    return float(summary["final_equity"].iloc[0]), events


def _prices():
    bars = load("crisis-2025").bars.loc["2025-10-01":"2025-10-03 23:00"]
    # spot orders fill at the index close and the holding is valued there (engine/nb/records.py INDEX_CLOSE)
    return float(bars["index_close"].iloc[0]), float(bars["index_close"].iloc[-1])


def test_no_costs_is_frictionless(tmp_path, capsys):
    rc, _, err = h.invoke(["run", "hold", *RANGE, "--no-costs", "--out", str(tmp_path / "o"), "--quiet",
                           "--tearsheets", "0"], capsys)
    assert rc in (0, None), err
    final, events = _final(tmp_path / "o")
    p0, pt = _prices()
    assert final == pytest.approx(100_000 * pt / p0, rel=1e-9)
    assert events.loc[events["kind"] == "fee", "amount"].sum() == 0


def test_a_costs_file_sets_the_spot_fee_and_slippage(tmp_path, capsys):
    costs = tmp_path / "costs.toml"
    costs.write_text("[costs]\nspot_fee = 0.002\nhalf_spread = 0.0\nimpact = 0.0\n")
    rc, _, err = h.invoke(["run", "hold", *RANGE, "--costs", str(costs), "--out", str(tmp_path / "o"), "--quiet",
                           "--tearsheets", "0"], capsys)
    assert rc in (0, None), err
    final, events = _final(tmp_path / "o")
    p0, pt = _prices()
    # q x P0 x (1 + 0.2 %) = capital: q = capital / (P0 x 1.002); the fee is 0.2 % of q x P0
    q = 100_000 / (p0 * 1.002)
    assert -events.loc[events["kind"] == "fee", "amount"].sum() == pytest.approx(q * p0 * 0.002, rel=1e-9)
    assert final == pytest.approx(q * pt, rel=1e-9)
    page = (tmp_path / "o" / "report.html").read_text(encoding="utf-8")
    assert "spot fee 0.2%" in page and "no size-dependent impact" in page


def test_config_costs_table(tmp_path, capsys):
    conf = tmp_path / "c.toml"
    conf.write_text('no_costs = true\nstart = "2025-10-01"\nend = "2025-10-03"\n')
    rc, _, err = h.invoke(["run", "hold", "--config", str(conf), "--out", str(tmp_path / "o"), "--quiet",
                           "--tearsheets", "0"], capsys)
    assert rc in (0, None), err
    final, _ = _final(tmp_path / "o")
    p0, pt = _prices()
    assert final == pytest.approx(100_000 * pt / p0, rel=1e-9)


@pytest.mark.parametrize("text, word", [("[costs]\nspot_fe = 0.001\n", "spot_fe"),
                                        ("[costs]\nimpact = 'big'\n", "impact"),
                                        ("[costs]\nperp_fee = 0.5\n", "perp_fee")])
def test_bad_costs_are_one_line_and_write_nothing(tmp_path, capsys, text, word):
    costs = tmp_path / "costs.toml"
    costs.write_text(text)
    rc, _, err = h.invoke(["run", "hold", *RANGE, "--costs", str(costs), "--out", str(tmp_path / "o"), "--quiet"],
                          capsys)
    assert rc == 2 and word in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "o").exists()
