"""``hedgelab calc liq`` with several positions on one cross wallet (issue 20), through the CLI.

Expected numbers come from Binance's USDⓈ-M cross formula (issue 20; adl-and-margin.md §5), computed
here with the brackets of ../shared/specs/tiers-2025/binance_usdm.csv written out:

    MM_i = |Q_i| x mark_i x MMR_i - cum_i           (bracket of the notional at the mark)
    LP_1 = (WB - TMM_1 + UPNL_1 + cum_1 - s_1 Q_1 EP_1) / (Q_1 MMR_1 - s_1 Q_1)

TMM_1 and UPNL_1 over the *other* positions at their marks, MMR_1 and cum_1 from the bracket that holds
the notional Q_1 x LP_1 (each bracket tried; the one whose answer lies inside it is the answer).
"""
import json

import pytest

from testkit import cli as h

AT = "2025-10-10"
# tiers-2025/binance_usdm.csv, brackets 1 and 2 (snapshot 2025-10-16): (floor, cap, mmr, cum)
BRACKETS = {
    "ETH": [(0, 300_000, 0.004, 0.0), (300_000, 800_000, 0.005, 300.0)],
    "BTC": [(0, 300_000, 0.004, 0.0), (300_000, 800_000, 0.005, 300.0)],
    "SOL": [(0, 50_000, 0.005, 0.0), (50_000, 400_000, 0.0065, 75.0)],
}
SIDE = {"long": 1.0, "short": -1.0}
# the issue's example: (symbol, coin, side, qty, entry, mark)
EXAMPLE_ARGS = ["--venue", "binance", "--cross", "--wallet", "20000", "--position", "ETHUSDT:long:10@4000",
                "--position", "SOLUSDT:long:200@200", "--position", "BTCUSDT:short:0.5@110000", "--mark", "SOLUSDT=205"]
EXAMPLE = (20_000.0, [("ETHUSDT", "ETH", "long", 10.0, 4000.0, 4000.0), ("SOLUSDT", "SOL", "long", 200.0, 200.0, 205.0),
                      ("BTCUSDT", "BTC", "short", 0.5, 110_000.0, 110_000.0)])
# the engine test's three positions with a bracket change: ETH's 400k notional is bracket 2 at the mark,
# bracket 1 at its liquidation price; SOL cannot be liquidated with the others at their marks
BRACKET_CHANGE_ARGS = ["--venue", "binance", "--cross", "--wallet", "150000", "--position", "ETHUSDT:long:100@4000",
                       "--position", "SOLUSDT:long:200@200", "--position", "BTCUSDT:short:0.5@110000",
                       "--mark", "SOLUSDT=205", "--mark", "BTCUSDT=100000"]
BRACKET_CHANGE = (150_000.0, [("ETHUSDT", "ETH", "long", 100.0, 4000.0, 4000.0),
                              ("SOLUSDT", "SOL", "long", 200.0, 200.0, 205.0),
                              ("BTCUSDT", "BTC", "short", 0.5, 110_000.0, 100_000.0)])


def bracket(coin, notional):
    for floor, cap, mmr, cum in BRACKETS[coin]:
        if floor <= notional < cap:
            return mmr, cum
    raise AssertionError(f"{coin} notional {notional} is beyond the brackets written out here")


def expected(wallet, positions):
    """Binance's cross formula, independently of the engine: totals and, per position, (MM, uPnL, LP, MMR)."""
    mm = [qty * mark * bracket(coin, qty * mark)[0] - bracket(coin, qty * mark)[1]
          for _, coin, _, qty, _, mark in positions]
    upnl = [SIDE[side] * qty * (mark - entry) for _, _, side, qty, entry, mark in positions]
    rows = []
    for i, (_, coin, side, qty, entry, _) in enumerate(positions):
        s = SIDE[side]
        tmm, other_upnl = sum(mm) - mm[i], sum(upnl) - upnl[i]
        lp = mmr_at = None
        for floor, cap, mmr, cum in BRACKETS[coin]:
            price = (wallet - tmm + other_upnl + cum - s * qty * entry) / (qty * mmr - s * qty)
            if price > 0 and floor <= qty * price < cap:
                lp, mmr_at = price, mmr
        if lp is None:   # "none" only when no bracket gives a positive price at all
            assert all((wallet - tmm + other_upnl + cum - s * qty * entry) / (qty * mmr - s * qty) <= 0
                       for _, _, mmr, cum in BRACKETS[coin])
        rows.append((mm[i], upnl[i], lp, mmr_at))
    return {"mm": sum(mm), "upnl": sum(upnl), "ratio": sum(mm) / (wallet + sum(upnl)), "rows": rows}


def calc(capsys, *args):
    rc, out, err = h.invoke(["calc", "liq", *args], capsys)
    assert "Traceback" not in err
    return rc, out, err


@pytest.mark.parametrize("args, case", [(EXAMPLE_ARGS, EXAMPLE), (BRACKET_CHANGE_ARGS, BRACKET_CHANGE)],
                         ids=["issue-example", "bracket-change"])
def test_json_is_binances_cross_formula(capsys, args, case):
    rc, out, err = calc(capsys, *args, "--at", AT, "--json")
    assert rc == 0 and err == ""
    got = json.loads(out)
    wallet, positions = case
    want = expected(wallet, positions)
    assert list(got) == ["venue", "wallet", "margin_ratio", "maintenance_margin", "unrealized_pnl", "positions",
                         "tier_tables", "tier_tables_at"]
    assert got["venue"] == "binance" and got["wallet"] == wallet
    assert got["maintenance_margin"] == pytest.approx(want["mm"], rel=1e-12)
    assert got["unrealized_pnl"] == pytest.approx(want["upnl"], rel=1e-12, abs=1e-9)
    assert got["margin_ratio"] == pytest.approx(want["ratio"], rel=1e-12)
    assert len(got["positions"]) == len(positions)
    for row, (symbol, _, side, qty, entry, mark), (mm, upnl, lp, mmr) in zip(got["positions"], positions, want["rows"]):
        assert list(row) == ["symbol", "side", "qty", "entry", "mark", "maintenance_margin", "unrealized_pnl",
                             "liquidation_price", "mmr_at_liquidation"]
        assert (row["symbol"], row["side"], row["qty"], row["entry"], row["mark"]) == (symbol, side, qty, entry, mark)
        assert row["maintenance_margin"] == pytest.approx(mm, rel=1e-12)
        assert row["unrealized_pnl"] == pytest.approx(upnl, rel=1e-12, abs=1e-9)
        if lp is None:
            assert row["liquidation_price"] is None and row["mmr_at_liquidation"] is None
        else:
            assert row["liquidation_price"] == pytest.approx(lp, rel=1e-12)
            assert row["mmr_at_liquidation"] == mmr


def test_bracket_change_case_really_changes_bracket():
    # the case is what its comment says: ETH is in bracket 2 at its mark, bracket 1 at its liquidation price
    _, positions = BRACKET_CHANGE
    want = expected(*BRACKET_CHANGE)
    assert bracket("ETH", 100 * 4000.0) == (0.005, 300.0)
    assert want["rows"][0][3] == 0.004
    assert want["rows"][1][2] is None


def test_the_issue_example_as_written(capsys):
    # no --at: the tables valid today, or (once they have ended) one day on which every coin has one,
    # named in a note on stderr after the answer; the brackets used here are the same in every table
    rc, out, err = calc(capsys, *EXAMPLE_ARGS, "--json")
    assert rc == 0
    assert err == ""
    got = json.loads(out)
    assert [t["symbol"] for t in got["tier_tables"]] == ["ETH", "SOL", "BTC"]
    want = expected(*EXAMPLE)
    assert [p["symbol"] for p in got["positions"]] == ["ETHUSDT", "SOLUSDT", "BTCUSDT"]
    assert [p["liquidation_price"] for p in got["positions"]] == pytest.approx([r[2] for r in want["rows"]],
                                                                                 rel=1e-12)


@pytest.mark.parametrize("args, case", [(EXAMPLE_ARGS, EXAMPLE), (BRACKET_CHANGE_ARGS, BRACKET_CHANGE)],
                         ids=["issue-example", "bracket-change"])
def test_text_is_a_table_of_the_same(capsys, args, case):
    rc, out, err = calc(capsys, *args, "--at", AT)
    assert rc == 0 and err == ""
    wallet, positions = case
    want = expected(wallet, positions)
    lines = out.splitlines()
    assert lines[0].startswith(f"venue binance, cross wallet {wallet:.10g} USD, margin ratio ")
    assert float(lines[0].split("margin ratio ")[1].split()[0]) == pytest.approx(want["ratio"], rel=1e-5)
    assert lines[1].split() == ["symbol", "side", "qty", "entry", "mark", "maintenance_margin", "unrealized_pnl",
                                "liquidation_price", "mmr_at_liquidation"]
    body = [line.split() for line in lines[2:2 + len(positions)]]
    for cells, (symbol, _, side, qty, entry, mark), (mm, upnl, lp, mmr) in zip(body, positions, want["rows"]):
        assert cells[:2] == [symbol, side]
        assert [float(c) for c in cells[2:7]] == pytest.approx([qty, entry, mark, mm, upnl], rel=1e-9, abs=1e-9)
        if lp is None:
            assert cells[7:] == ["none", "none"]
        else:
            assert float(cells[7]) == pytest.approx(lp, rel=1e-9) and float(cells[8]) == mmr
    assert "each liquidation price holds the other positions at their marks" in lines[2 + len(positions)]
    assert any(r[2] is None for r in want["rows"]) == ("none: the position cannot be liquidated" in out)


def test_a_mark_may_name_the_coin_in_another_spelling(capsys):
    # --mark SOL=205 is the same position as --mark SOLUSDT=205 (one position per coin)
    args = [a if a != "SOLUSDT=205" else "SOL/USDT:USDT=205" for a in EXAMPLE_ARGS]
    rc, out, err = calc(capsys, *args, "--at", AT, "--json")
    assert rc == 0, err
    assert json.loads(out)["positions"][1]["mark"] == 205.0
    rc, out2, _ = calc(capsys, *EXAMPLE_ARGS, "--at", AT, "--json")
    assert json.loads(out) == json.loads(out2)


def _venue(tmp_path, spans):
    """A venue file on Binance's rules with one one-bracket table per coin (mmr 1 %), valid over ``spans``."""
    text = 'base = "binance"\n'
    for coin, lo, hi in spans:
        text += (f'[[tiers]]\nsymbol = "{coin}"\nvalid_from = {lo}\nvalid_to = {hi}\n'
                 'floor = [0]\nmmr = [0.01]\nmax_leverage = [50]\n')
    path = tmp_path / "v.toml"
    path.write_text(text)
    return str(path)


def test_without_at_one_day_with_a_table_for_every_coin_named_in_a_note_after_the_answer(tmp_path, capsys):
    # BTC's table ends 2020-12-31, ETH's 2020-06-30: the latest day both have one is 2020-06-30
    venue = _venue(tmp_path, [("BTC", "2020-01-01", "2020-12-31"), ("ETH", "2020-01-01", "2020-06-30")])
    rc, out, err = calc(capsys, "--venue", venue, "--cross", "--wallet", "10000", "--position", "BTCUSDT:long:1@100000",
                        "--position", "ETHUSDT:short:10@4000", "--json")
    assert rc == 0
    assert err == ""   # the tables used are in the answer, not a warning
    got = json.loads(out)
    assert got["tier_tables_at"] == "2020-06-30"
    assert [(t["symbol"], t["valid_from"], t["valid_to"], t["chosen"]) for t in got["tier_tables"]] == [
        ("BTC", "2020-01-01", "2020-12-31", "newest"), ("ETH", "2020-01-01", "2020-06-30", "newest")]
    # one bracket, mmr 1 %, cum 0; both at their entries: MM BTC 1,000, ETH 400, no uPnL
    btc = (10_000 - 400 + 0 - 1 * 100_000) / (1 * 0.01 - 1)
    eth = (10_000 - 1_000 + 0 + 10 * 4000) / (10 * 0.01 + 10)
    assert [p["liquidation_price"] for p in got["positions"]] == pytest.approx([btc, eth], rel=1e-12)


def test_an_explicit_at_outside_the_tables_is_an_error_without_a_note(tmp_path, capsys):
    venue = _venue(tmp_path, [("BTC", "2020-01-01", "2020-12-31"), ("ETH", "2020-01-01", "2020-06-30")])
    rc, out, err = calc(capsys, "--venue", venue, "--cross", "--wallet", "10000", "--position", "BTCUSDT:long:1@100000",
                        "--position", "ETHUSDT:short:10@4000", "--at", "2020-09-01")
    lines = err.strip().splitlines()
    assert rc == 2 and out == "" and len(lines) == 1
    assert lines[0].startswith("error: ") and "no ETH tier table valid at 2020-09-01" in lines[0]


STRUCTURE = "expected <SYMBOL>:<long|short>:<QTY>@<ENTRY> (see 'hedgelab calc liq --help')"
GOOD = ["--cross", "--wallet", "20000", "--at", AT, "--position", "ETHUSDT:long:10@4000"]


def bad_position(text):
    return (*GOOD, "--position", text)


BAD = [
    # --position texts: the error names the bad one by its number (#2, after the good one) and symbol
    (bad_position("SOLUSDT:long:200"), "--position #2 'SOLUSDT:long:200': expected <SYMBOL>:<long|short>:<QTY>@<ENTRY>"),
    # (the text is quoted as the error lines' redaction leaves it: a word like A:B:C@D reads as a URL there)
    (bad_position("SOLUSDT:long@200"), ("--position #2 '", STRUCTURE)),
    (bad_position("SOLUSDT:200@200"), ("--position #2 '", STRUCTURE)),
    (bad_position(":long:200@200"), ("--position #2 '", STRUCTURE)),
    (bad_position("SOLUSDT:long: 200@200"), ("--position #2 '", STRUCTURE)),
    (bad_position("SOLUSDT:long:200@200:x"), ("--position #2 '", STRUCTURE)),
    (bad_position(""), ("--position #2 '': ", STRUCTURE)),
    (bad_position("SOLUSDT:up:200@200"), "--position #2 (SOLUSDT): side must be long or short, got 'up'"),
    (bad_position("SOLUSDT:LONG:200@200"), "--position #2 (SOLUSDT): side must be long or short, got 'LONG'"),
    (bad_position("SOLUSDT:long:-200@200"), "--position #2 (SOLUSDT): QTY '-200' must be a positive number"),
    (bad_position("SOLUSDT:long:0@200"), "--position #2 (SOLUSDT): QTY '0' must be a positive number"),
    (bad_position("SOLUSDT:long:nan@200"), "--position #2 (SOLUSDT): QTY 'nan' must be a positive number"),
    (bad_position("SOLUSDT:long:inf@200"), "--position #2 (SOLUSDT): QTY 'inf' must be a positive number"),
    (bad_position("SOLUSDT:long:1e400@200"), "--position #2 (SOLUSDT): QTY '1e400' must be a positive number"),
    (bad_position("SOLUSDT:long:2_00@200"), "--position #2 (SOLUSDT): QTY '2_00' must be a positive number"),
    (bad_position("SOLUSDT:long:abc@200"), "--position #2 (SOLUSDT): QTY 'abc' must be a positive number"),
    (bad_position("SOLUSDT:long:200@"), "--position #2 (SOLUSDT): ENTRY '' must be a positive number"),
    (bad_position("SOLUSDT:long:200@-5"), "--position #2 (SOLUSDT): ENTRY '-5' must be a positive number"),
    # data.validate.MAX_PRICE (1e9 USD) and the largest amount hedgelab takes (1e12 USD)
    (bad_position("SOLUSDT:long:200@2e9"), "ENTRY '2e9' must be a positive number of at most 1e+09"),
    (bad_position("SOLUSDT:long:1e10@200"), "--position #2 (SOLUSDT): the notional QTY x ENTRY = 2e+12 USD is above 1e+12"),
    (bad_position("SOL$:long:200@200"), "--position #2 (SOL$): not an exchange or ccxt symbol"),
    (bad_position("S" * 100 + ":long:200@200"), "--position #2 (" + "S" * 37 + "...): not an exchange or ccxt symbol"),
    # a coin given twice, in any spelling
    (bad_position("ETH/USDT:USDT:short:1@4000"), "--position #2 (ETH/USDT:USDT): ETH is given twice (#1 is ETHUSDT"),
    # --mark
    ((*GOOD, "--mark", "BTCUSDT=100000"), "--mark 'BTCUSDT=100000': BTCUSDT is not the symbol of any --position "
                                         "(given: ETHUSDT)"),
    ((*GOOD, "--mark", "ETHUSDT:3900"), "--mark 'ETHUSDT:3900': expected SYMBOL=PRICE"),
    ((*GOOD, "--mark", "ETHUSDT=-1"), "--mark 'ETHUSDT=-1': PRICE '-1' must be a positive number"),
    ((*GOOD, "--mark", "ETHUSDT="), "--mark 'ETHUSDT=': PRICE '' must be a positive number"),
    ((*GOOD, "--mark", "ETHUSDT=nan"), "--mark 'ETHUSDT=nan': PRICE 'nan' must be a positive number"),
    ((*GOOD, "--mark", "ETHUSDT=3900", "--mark", "ETH=3800"), "--mark 'ETH=3800': ETH has a --mark already"),
    # the form's own options
    (("--wallet", "20000", "--position", "ETHUSDT:long:10@4000"), "--position needs --cross (the positions share"),
    (("--cross", "--position", "ETHUSDT:long:10@4000"), "--position needs --wallet"),
    (("--position", "ETHUSDT:long:10@4000"), "--position needs --cross and --wallet"),
    ((*GOOD, "--side", "long"), "--position cannot be mixed with --side (the one-position form)"),
    ((*GOOD, "--entry", "4000", "--qty", "1"), "--position cannot be mixed with --entry, --qty"),
    ((*GOOD, "--leverage", "10"), "--position cannot be mixed with --leverage"),
    ((*GOOD, "--symbol", "BTC"), "--position cannot be mixed with --symbol"),
    ((*GOOD, "--other-maint", "0"), "--position cannot be mixed with --other-maint"),
    ((*GOOD, "--mmr", "0.01", "--max-leverage", "20"), "--position cannot be mixed with --mmr, --max-leverage"),
    (("--side", "long", "--entry", "4000", "--qty", "1", "--wallet", "100", "--mark", "BTC=1"),
     "--mark goes with --position"),
    (("--side", "long", "--entry", "4000", "--qty", "1", "--wallet", "100", "--cross"), "--cross goes with --position"),
    (("--side", "long", "--wallet", "100"), "Missing option '--entry'"),
    # the wallet: a USD amount >= 0 (the engine's bound) of at most 1e12
    (("--cross", "--wallet", "-5", "--position", "ETHUSDT:long:10@4000"),
     "--wallet -5: the cross wallet balance must be a number of USD >= 0 and at most 1e+12"),
    (("--cross", "--wallet", "nan", "--position", "ETHUSDT:long:10@4000"), "--wallet nan: the cross wallet balance"),
    (("--cross", "--wallet", "inf", "--position", "ETHUSDT:long:10@4000"), "--wallet inf: the cross wallet balance"),
    (("--cross", "--wallet", "1e300", "--position", "ETHUSDT:long:10@4000"), "--wallet 1e+300: the cross wallet"),
    # a margin balance (wallet + uPnL) <= 0 at the marks: 20,000 + 10 x (1,000 - 4,000) = -10,000
    ((*GOOD, "--mark", "ETHUSDT=1000"), "the margin balance at these marks, --wallet 20000 + unrealized PnL -30000 = "
                                        "-10000 USD, is not positive"),
    # tables: Bybit has BTC only (a venue file can add one); Deribit is inverse; Binance has no PEPE
    (("--venue", "bybit", "--cross", "--wallet", "20000", "--at", AT, "--position", "BTCUSDT:short:0.5@110000",
      "--position", "ETHUSDT:long:10@4000"),
     "venue 'bybit' has no tier table for symbol 'ETH' (base coin ETH; known: BTC); add one in a venue .toml with "
     "base = 'bybit'"),
    (("--venue", "bybit", "--cross", "--wallet", "20000", "--position", "SOLUSDT:long:200@200"),
     "venue 'bybit' has no tier table for symbol 'SOL'"),
    (("--venue", "deribit", *GOOD[:-1], "BTCUSDT:long:1@100000"), "venue 'deribit' is an inverse perp"),
    ((*GOOD, "--position", "PEPEUSDT:long:1000000@0.00001"), "venue 'binance' has no tier table for symbol 'PEPE'"),
    (("--cross", "--wallet", "20000", "--position", "PEPEUSDT:long:1000000@0.00001", "--position",
      "ETHUSDT:long:10@4000"), "venue 'binance' has no tier table for symbol 'PEPE'"),
    (("--venue", "nope", *GOOD), "unknown venue 'nope'"),
    ((*GOOD[:3], "--at", "2030-01-01", *GOOD[5:]), "no ETH tier table valid at 2030-01-01"),
]


@pytest.mark.parametrize("args, fragment", BAD, ids=[str(i) for i in range(len(BAD))])
def test_every_bad_form_is_one_line_exit_2(capsys, args, fragment):
    rc, out, err = calc(capsys, *args, "--json")
    lines = err.strip().splitlines()
    assert rc == 2 and out == ""
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for part in (fragment,) if isinstance(fragment, str) else fragment:
        assert part in lines[0], lines[0]


def test_help_shows_the_multi_position_example(capsys):
    rc, out, _ = calc(capsys, "--help")
    assert rc == 0
    text = " ".join(out.split())
    assert ("hedgelab calc liq --venue binance --cross --wallet 20000 --position ETHUSDT:long:10@4000 \\ "
            "--position SOLUSDT:long:200@200 --position BTCUSDT:short:0.5@110000 --mark SOLUSDT=205 --json") in text
    assert "--position SYMBOL:long|short:QTY@ENTRY" in text and "--mark SYMBOL=PRICE" in text
