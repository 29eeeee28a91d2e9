"""Click's own usage errors and the calc liq default date: one line on stderr, exit 2 / an answer."""
import datetime as dt
import json

import pandas as pd
import pytest

from testkit import cli as h


@pytest.mark.parametrize("argv, needles", [
    (["run", "hold", "--capital", "abc"], ["--capital", "abc", "hedgelab run --help"]),
    (["run", "hold", "--margin-mode", "crossed"], ["--margin-mode", "crossed"]),
    (["nosuchcmd"], ["nosuchcmd"]),
    (["calc", "liq", "--side", "long"], ["--entry"]),
    (["calc", "option", "--type", "straddle"], ["--type", "straddle"]),
])
def test_click_usage_errors_are_one_line_exit_2(argv, needles, capsys):
    rc, out, err = h.invoke(argv, capsys)
    assert rc == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for needle in needles:
        assert needle in lines[0]


def _venue(tmp_path, lo, hi):
    path = tmp_path / "v.toml"
    path.write_text(f'base = "binance"\n[[tiers]]\nsymbol = "BTC"\nvalid_from = {lo}\nvalid_to = {hi}\n'
                    'floor = [0]\nmmr = [0.01]\nmax_leverage = [50]\n')
    return str(path)


LIQ = ["--side", "long", "--entry", "100000", "--qty", "1", "--wallet", "10000", "--json"]
# isolated long on the mm_at_liq rule (Binance): wallet + qty x (P - entry) = qty x P x mmr at P, so
# P = (entry - wallet / qty) / (1 - mmr) = 90,000 / 0.99 = 90,909.0909...
EXPECTED = 90_000 / 0.99


def test_calc_liq_without_at_uses_the_newest_table_once_all_have_ended(tmp_path, capsys):
    venue = _venue(tmp_path, "2020-01-01", "2020-12-31")       # ended before any day this test runs
    rc, out, err = h.invoke(["calc", "liq", "--venue", venue, *LIQ], capsys)
    assert rc in (0, None), err
    answer = json.loads(out)
    assert answer["liquidation_price"] == pytest.approx(EXPECTED, rel=1e-12)
    # issue 22 item 8: the table used is said in the answer, not warned about on stderr at every call
    assert answer["tier_table"] == {"symbol": "BTC", "valid_from": "2020-01-01", "valid_to": "2020-12-31",
                                    "chosen": "newest"}
    assert err == ""
    rc, out, err = h.invoke(["calc", "liq", "--venue", venue, *[a for a in LIQ if a != "--json"]], capsys)
    assert rc in (0, None) and err == ""
    assert out.splitlines()[-1] == (f"tier table: {venue} BTC 2020-01-01..2020-12-31 (the newest: none covers today; "
                                    "--at DATE picks another)")


def test_calc_liq_without_at_uses_todays_table_silently(tmp_path, capsys):
    today = dt.date.today()
    venue = _venue(tmp_path, today - dt.timedelta(days=1), today + dt.timedelta(days=1))
    rc, out, err = h.invoke(["calc", "liq", "--venue", venue, *LIQ], capsys)
    assert rc in (0, None) and err == ""
    assert json.loads(out)["liquidation_price"] == pytest.approx(EXPECTED, rel=1e-12)
    assert json.loads(out)["tier_table"]["chosen"] == "today"


def test_calc_liq_explicit_at_outside_every_table_is_still_an_error(tmp_path, capsys):
    venue = _venue(tmp_path, "2020-01-01", "2020-12-31")
    rc, out, err = h.invoke(["calc", "liq", "--venue", venue, *LIQ, "--at", "2021-06-01"], capsys)
    assert rc == 2 and "2021-06-01" in err and len(err.strip().splitlines()) == 1


def test_config_unquoted_toml_date_with_a_command_line_end(tmp_path, capsys):
    # `start = 2025-10-01` is a TOML date (not a string); with --end given as text it used to crash
    # with a pandas traceback ("Both dates must have the same UTC offset").
    config = tmp_path / "c.toml"
    config.write_text("start = 2025-10-01\n")
    out = tmp_path / "o"
    rc, _, err = h.invoke(["run", "hold", "--config", str(config), "--end", "2025-10-02", "--tearsheets", "0",
                           "--out", str(out), "--quiet"], capsys)
    assert rc in (0, None), err
    summary, events = h.read_outputs(out)
    # the window starts 2025-10-01 00:00: the first fill happens at the first hourly bar's close
    assert events["time"].min() == pd.Timestamp("2025-10-01 01:00", tz="UTC")


@pytest.mark.parametrize("wallet", ["-5", "0", "nan"])
def test_calc_liq_wallet_must_be_positive(wallet, capsys):
    rc, out, err = h.invoke(["calc", "liq", "--side", "long", "--entry", "100000", "--qty", "1", "--wallet", wallet,
                             "--at", "2025-10-01"], capsys)
    assert rc == 2 and out == "" and len(err.strip().splitlines()) == 1 and "--wallet" in err


def test_run_reads_its_own_table_of_a_compare_config(tmp_path, capsys):
    # The config compare reads ([params.<strategy>] tables) also serves run: hold's table applies,
    # perp-hedge's is for another run. It used to fail with "unknown parameter 'hold' for hold".
    config = tmp_path / "c.toml"
    config.write_text("[params.hold]\nfraction = 0.5\n[params.perp-hedge]\nhedge_ratio = 0.3\n")
    out = tmp_path / "o"
    rc, _, err = h.invoke(["run", "hold", "--config", str(config), "--start", "2025-10-01", "--end", "2025-10-02",
                           "--tearsheets", "0", "--out", str(out), "--quiet"], capsys)
    assert rc in (0, None), err
    summary, _ = h.read_outputs(out)
    assert json.loads(summary["params"].iloc[0]) == {"fraction": 0.5}


@pytest.mark.parametrize("argv, config", [
    (["compare", "hold", "perp-hedge", "hold"], None),
    (["compare"], 'strategies = ["hold", "hold"]\n[params.hold]\n'),
])
def test_compare_refuses_a_strategy_named_twice(tmp_path, capsys, argv, config):
    # parameters are keyed by strategy name, so a second 'hold' could only repeat the first run
    out = tmp_path / "out"
    if config is not None:
        (tmp_path / "c.toml").write_text(config)
        argv = argv + ["--config", str(tmp_path / "c.toml")]
    rc, _, err = h.invoke(argv + ["--out", str(out), "--quiet"], capsys)
    assert rc == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "'hold' is named twice" in lines[0], err
    assert not out.exists()  # refused before anything runs or is written


def test_api_compare_refuses_a_strategy_named_twice():
    from hedgelab import api
    from hedgelab.core.errors import UserError
    with pytest.raises(UserError, match="'perp-hedge' is named twice"):
        api.compare(["perp-hedge", "hold", "perp-hedge"])
