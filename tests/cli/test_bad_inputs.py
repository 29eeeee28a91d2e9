"""Issue 24: the bad-input table. One row per bad input: the command, the exit code, a fragment of
the one error line (and, for secrets, what must not be printed).

Every row runs the real CLI in this process and checks the project's rule for user errors: exit 2,
one line ``error: ...`` on stderr, no traceback, nothing written or replaced (the test folder holds
only the files the row made, unchanged). The table grows by a line per case; ``CATEGORIES`` counts
the rows per category (the issue's closing note reports them).

Numbers in the fragments are the input's own values or the documented bounds they break (each bound's
reason is in the module that sets it: engine/venue_schema.py, data/validate.py, core/reading.py, ...).
"""
from __future__ import annotations

import collections
from dataclasses import dataclass, field

import pytest

from testkit import cli as h
from testkit.files import DIR, FIFO, make_files, snapshot


@dataclass(frozen=True)
class Case:
    category: str
    argv: tuple                    # "{tmp}" is the row's own folder
    fragment: str                  # in the error line ("{tmp}" likewise)
    files: dict = field(default_factory=dict)   # name -> text | bytes | FIFO | DIR
    rc: int = 2
    absent: tuple = ()             # never printed (secrets)


LIQ = ("calc", "liq", "--side", "long", "--entry", "100000", "--qty", "1", "--leverage", "10", "--at", "2025-10-01")
RUN = ("run", "hold", "--quiet", "--out", "{tmp}/o")


def venue_row(text, fragment, argv=LIQ):
    return Case("venue", (*argv, "--venue", "{tmp}/v.toml"), fragment, {"v.toml": text})


PRICES = "time,open,high,low,close\n2025-01-01T00:00:00Z,1,1,1,1\n2025-01-01T01:00:00Z,1,1,1,1\n"
TIERS = '[[tiers]]\nsymbol = "BTC"\nvalid_from = 2025-01-01\nvalid_to = 2025-12-31\n'

CASES = [
    # ------------------------------------------------------------ readers (core/reading.py)
    Case("readers", (*LIQ, "--venue", "{tmp}/p.toml"), "venue file {tmp}/p.toml: is a FIFO (named pipe)", {"p.toml": FIFO}),
    Case("readers", (*LIQ, "--venue", "{tmp}/p"), "venue file {tmp}/p: is a FIFO", {"p": FIFO}),
    Case("readers", (*LIQ, "--venue", "/dev/zero"), "venue file /dev/zero: is a character device, not a regular file"),
    Case("readers", (*LIQ, "--venue", "{tmp}/d.toml"), "venue file {tmp}/d.toml: is a folder", {"d.toml": DIR}),
    Case("readers", (*LIQ, "--venue", "{tmp}/d"), "venue file {tmp}/d: is a folder", {"d": DIR}),
    Case("readers", (*LIQ, "--venue", "{tmp}/v.toml"), "nested more than 32 levels deep",
         {"v.toml": "a = " + "[" * 5000 + "]" * 5000}),
    Case("readers", (*LIQ, "--venue", "{tmp}/v.toml"), "nested more than 32 levels deep",
         {"v.toml": "a = " + "{b = " * 3000 + "1" + "}" * 3000}),
    Case("readers", (*LIQ, "--venue", "{tmp}/v.toml"), "nested more than 32 levels deep",
         {"v.toml": ".".join(["a"] * 3000) + " = 1"}),
    Case("readers", (*LIQ, "--venue", "{tmp}/v.toml"), "v.toml: not UTF-8 text (byte 8)", {"v.toml": b'kind = "\xff"\n'}),
    Case("readers", (*LIQ, "--venue", "{tmp}/v.toml"), "above the limit of 1.0 MB", {"v.toml": "#" + "x" * 1_000_001}),
    Case("readers", (*LIQ, "--venue", "{tmp}/v.toml"), "invalid TOML: Exceeds the limit (4300 digits)",
         {"v.toml": "taker_fee = " + "9" * 5000}),
    Case("readers", (*LIQ, "--venue", "{tmp}/v.toml"), "invalid TOML", {"v.toml": "base = binance"}),
    Case("readers", (*LIQ, "--venue", "{tmp}/none.toml"), "venue file {tmp}/none.toml: file not found"),
    Case("readers", (*RUN, "--costs", "{tmp}/c.toml"), "costs file {tmp}/c.toml: is a FIFO", {"c.toml": FIFO}),
    Case("readers", (*RUN, "--costs", "/dev/zero"), "costs file /dev/zero: is a character device"),
    Case("readers", (*RUN, "--costs", "{tmp}/c.toml"), "costs file {tmp}/c.toml: not UTF-8 text (byte 11)",
         {"c.toml": b"perp_fee = \xff\n"}),
    Case("readers", (*RUN, "--costs", "{tmp}/c.toml"), "costs file {tmp}/c.toml: tables and arrays nested more than 32",
         {"c.toml": "[costs]\nperp_fee = " + "[" * 2000 + "]" * 2000}),
    Case("readers", (*RUN, "--costs", "{tmp}/c.toml"), "c.toml' is a directory", {"c.toml": DIR}),
    Case("readers", (*RUN, "--costs", "{tmp}/none.toml"), "costs file {tmp}/none.toml: file not found"),
    Case("readers", ("data", "import", "x", "--prices", "{tmp}/p.csv", "--store", "{tmp}/s"),
         "prices file {tmp}/p.csv: is a FIFO", {"p.csv": FIFO}),
    Case("readers", ("data", "import", "x", "--prices", "/dev/zero", "--store", "{tmp}/s"),
         "prices file /dev/zero: is a character device"),
    Case("readers", ("data", "import", "x", "--prices", "{tmp}/p.csv", "--funding", "{tmp}/f.csv", "--store", "{tmp}/s"),
         "funding file {tmp}/f.csv: is a FIFO", {"p.csv": PRICES, "f.csv": FIFO}),
    Case("readers", ("data", "import", "x", "--prices", "{tmp}/p.csv", "--iv", "/dev/zero", "--store", "{tmp}/s"),
         "iv file /dev/zero: is a character device", {"p.csv": PRICES}),
    Case("readers", ("data", "import", "x", "--prices", "{tmp}/p.csv", "--store", "{tmp}/s"),
         "column 'close': 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx... (300,000 characters) is not a number",
         {"p.csv": "time,open,high,low,close\n2025-01-01T00:00:00Z,1,1,1," + "x" * 300_000 + "\n2025-01-01T01:00:00Z,1,1,1,1\n"}),
    Case("readers", ("data", "import", "x", "--prices", "{tmp}/p.parquet", "--store", "{tmp}/s"),
         "prices file {tmp}/p.parquet: cannot read as parquet", {"p.parquet": b"PAR1 not really"}),

    # ------------------------------------------------------------ venue numbers (engine/venue_schema.py)
    venue_row('base = "hyperliquid"\npartial_liquidation_fraction = 1e-12', "partial_liquidation_fraction = 1e-12: must be a number in [0.01, 1]"),
    venue_row('base = "hyperliquid"\npartial_liquidation_fraction = 1e-12', "partial_liquidation_fraction = 1e-12",
              argv=("run", "leveraged-long", "-p", "leverage=40", "--start", "2025-10-09", "--end", "2025-10-12",
                    "--quiet", "--out", "{tmp}/o")),
    venue_row('base = "hyperliquid"\npartial_liquidation_fraction = 0.005', "partial_liquidation_fraction = 0.005: must be a number in [0.01, 1]"),
    venue_row('base = "hyperliquid"\npartial_liquidation_fraction = 0', "partial_liquidation_fraction = 0:"),
    venue_row('base = "hyperliquid"\npartial_liquidation_fraction = 1.5', "partial_liquidation_fraction = 1.5:"),
    venue_row('base = "hyperliquid"\npartial_liquidation_above = 1e-9', "partial_liquidation_above = 1e-09: must be a number in [100, inf]"),
    venue_row('base = "hyperliquid"\npartial_liquidation_above = -1', "partial_liquidation_above = -1:"),
    venue_row('base = "binance"\npartial_liquidation_fraction = 0.5',
              "partial_liquidation_fraction = 0.5: acts only with liquidation_rule = 'close_at_mark' (this venue's rule is 'mm_at_liq')"),
    venue_row('base = "bybit"\nbackstop_mm_fraction = 0.5', "backstop_mm_fraction = 0.5: acts only with liquidation_rule = 'close_at_mark'"),
    venue_row('base = "binance"\nfunding_interval_hours = 1', "funding_interval_hours = 1: not a setting hedgelab uses: funding is paid at the dataset's own settlement times"),
    venue_row('base = "hyperliquid"\nfunding_interval_hours = 8', "funding_interval_hours = 8: not a setting hedgelab uses"),
    venue_row('funding_interval_hours = 8', "funding_interval_hours = 8: not a setting"),
    venue_row('base = "binance"\n' + TIERS + "floor = [0, 1e6]\nmmr = [0.02, 0.01]\nmax_leverage = [20, 10]",
              "tiers[0].mmr[1] = 0.01: maintenance rates must not decrease with the tier (mmr[0] = 0.02)"),
    venue_row('base = "binance"\n' + TIERS + "floor = [0, 1e6, 2e6]\nmmr = [0.01, 0.02, 0.015]\nmax_leverage = [20, 10, 5]",
              "tiers[0].mmr[2] = 0.015: maintenance rates must not decrease"),
    venue_row('base = "binance"\n' + TIERS + "floor = [0, 1e6]\nmmr = [0.01, 0.02]\nmax_leverage = [20, 50]",
              "tiers[0].max_leverage[1] = 50: maximum leverage must not increase with the tier (max_leverage[0] = 20)"),
    venue_row('base = "binance"\n' + TIERS + "floor = [0, 1e6]\ncap = [2e6, 1e9]\nmmr = [0.01, 0.02]\nmax_leverage = [20, 10]",
              "tiers[0].cap[0] = 2000000.0: each cap must be the next tier's floor (floor[1] = 1e+06)"),
    venue_row('base = "binance"\n' + TIERS + "floor = [0, 1e6]\ncap = [5e5, 1e9]\nmmr = [0.01, 0.02]\nmax_leverage = [20, 10]",
              "tiers[0].cap[0] = 500000.0: each cap must be the next tier's floor"),
    venue_row('base = "binance"\n' + TIERS + "floor = [0, 1e6]\ncap = [1e6, 1e6]\nmmr = [0.01, 0.02]\nmax_leverage = [20, 10]",
              "tiers[0].cap[1] = 1000000.0: the last cap must be above its floor"),
    venue_row('base = "binance"\n' + TIERS + "floor = [5, 1e6]\nmmr = [0.01, 0.02]\nmax_leverage = [20, 10]",
              "tiers[0].floor[0] = 5: the first tier's floor must be 0"),
    venue_row('base = "binance"\n' + TIERS + "floor = [0, 1e6, 1e6]\nmmr = [0.01, 0.02, 0.03]\nmax_leverage = [20, 10, 5]",
              "tiers[0].floor[2] = 1000000.0: floors must increase"),
    # cum = [0, 1e6 x (0.02 - 0.01)] = [0, 10000] by the recurrence; 5 is not it
    venue_row('base = "binance"\n' + TIERS + "floor = [0, 1e6]\nmmr = [0.01, 0.02]\ncum = [0, 5]\nmax_leverage = [20, 10]",
              "tiers[0].cum[1] = 5: does not recompute from the floors"),
    venue_row('base = "binance"\n' + TIERS + "floor = [0, 1e6]\nmmr = [0.01, 0.02]\ncum = [0, -10000]\nmax_leverage = [20, 10]",
              "tiers[0].cum[1] = -10000: must be a number >= 0"),
]



def _hours(n=24, rows=None, cols="time,open,high,low,close", ohlc="100,101,99,100.5"):
    """Hourly rows from 2025-01-01; ``rows``: {k: "o,h,l,c"} replaces data row k (from 1)."""
    lines = [cols] + [f"2025-01-{1 + h // 24:02d}T{h % 24:02d}:00:00Z,{ohlc}" for h in range(n)]
    for k, v in (rows or {}).items():
        lines[k] = lines[k].split(",", 1)[0] + "," + v
    return "\n".join(lines) + "\n"


def _series(values, col):
    return f"time,{col}\n" + "".join(f"2025-01-01T{h:02d}:00:00Z,{v}\n" for h, v in enumerate(values))


IMPORT = ("data", "import", "x", "--prices", "{tmp}/p.csv", "--store", "{tmp}/s")


def data_row(fragment, prices=None, *extra, **files):
    files = {"p.csv": prices or _hours(), **{k.replace("_", "."): v for k, v in files.items()}}
    return Case("data", (*IMPORT[:5], *extra, *IMPORT[5:]), fragment, files)


CASES += [
    # ------------------------------------------------------------ imported data against its own scale (data/validate.py)
    data_row("row 1 (data rows from 1, header not counted), column 'open': price 1e-300 is below the plausible minimum 1e-10",
             _hours(ohlc="1e-300,1e-300,1e-300,1e-300")),
    data_row("row 5 (data rows from 1, header not counted), column 'low': price 1e-300 is below the plausible minimum",
             _hours(rows={5: "100,101,1e-300,100.5"})),
    data_row("column 'low': price 5e-11 is below the plausible minimum 1e-10", _hours(ohlc="1e-10,1e-10,5e-11,1e-10")),
    data_row("row 5 (data rows from 1, header not counted), column 'low': low 1e-05 is 1/1e+07 of the bar's open/close",
             _hours(rows={5: "100,101,1e-5,100.5"})),
    data_row("row 5 (data rows from 1, header not counted), column 'high': high 100500.0 is 1e+03x the bar's open/close",
             _hours(rows={5: "100,100500,99,100.5"})),
    data_row("row 5 (data rows from 1, header not counted), column 'close': close 100500.0 is 1e+03x away from its bar's open",
             _hours(rows={5: "100,100500,99,100500"})),
    data_row("row 5 (data rows from 1, header not counted), column 'open': open 100500.0 is 1e+03x away from the previous",
             _hours(rows={5: "100500,100600,100400,100500"})),
    data_row("row 5 (data rows from 1, header not counted), column 'open': open 0.1005 is 1e+03x away",
             _hours(rows={5: "0.1005,0.101,0.099,0.1005"})),
    data_row("row 24 (data rows from 1, header not counted), column 'open'", _hours(rows={24: "1e6,1e6,1e6,1e6"})),
    # a first row off the scale: the jump is named at row 2, with row 1's close quoted
    data_row("row 2 (data rows from 1, header not counted), column 'open': open 100.0 is 1e+03x away from the previous "
             "bar's close (0.1, row 1)", _hours(rows={1: "0.1,0.1,0.1,0.1"})),
    data_row("column 'mark_open': open 100000.0 is 1e+03x away",
             _hours(cols="time,open,high,low,close,mark_open,mark_high,mark_low,mark_close", ohlc="100,101,99,100,100,101,99,100",
                    rows={3: "100,101,99,100,100000,100000,100000,100000"})),
    # 0.00125 per hour read as a decimal: 0.002 per 8 h scaled to 1 h is 0.00025
    data_row("f.csv, column 'rate': median |funding rate| 0.00125 per 1 h interval is above 0.00025",
             None, "--funding", "{tmp}/f.csv", f_csv=_series([0.00125] * 24, "rate")),
    # 2-hourly: 0.002 x 2 / 8 = 0.0005
    data_row("median |funding rate| 0.0006 per 2 h interval is above 0.0005",
             None, "--funding", "{tmp}/f.csv", f_csv="time,rate\n" + "".join(
                 f"2025-01-01T{h:02d}:00:00Z,0.0006\n" for h in range(0, 24, 2))),
    data_row("f.csv, row 3 (data rows from 1, header not counted), column 'rate': funding rate 0.05 is outside +-0.03",
             None, "--funding", "{tmp}/f.csv", f_csv=_series([0.0001, 0.0001, 0.05], "rate")),
    data_row("iv.csv, row 1 (data rows from 1, header not counted), column 'iv': implied volatility 0.0001 is below 0.05",
             None, "--iv", "{tmp}/iv.csv", iv_csv=_series([0.0001] * 24, "iv")),
    data_row("column 'iv': implied volatility 0.04 is below 0.05 as a decimal", None, "--iv", "{tmp}/iv.csv",
             iv_csv=_series([0.5, 0.04], "iv")),
    data_row("column 'dvol': implied volatility 3.0 % is below 5 %", None, "--iv", "{tmp}/iv.csv",
             iv_csv=_series([45.0, 3.0], "dvol")),
    data_row("column 'iv': implied volatility 0.0001 is below 0.05", None, "--iv", "{tmp}/iv.csv", "--iv-unit", "decimal",
             iv_csv=_series([0.0001, 0.45], "iv")),
]

SWEEP = ("sweep", "perp-hedge", "-g", "hedge_ratio=0:1:3", "--quiet", "--out", "{tmp}/o")


def cluster_row(target, fragment, category="cluster", absent=(), files=None):
    return Case(category, (*SWEEP, "--cluster", target), fragment, files or {}, absent=absent)


CASES += [
    # ------------------------------------------------------------ Dask clusters that hung (scale/cluster.py)
    cluster_row("tcp://{http}", "--cluster tcp://{http}: no Dask scheduler answers at tcp://{http} (it accepted the "
                                "connection but sent nothing within 5 s"),
    cluster_row("tcp://{silent}", "no Dask scheduler answers at tcp://{silent}"),
    cluster_row("tcp://{nowork}", "--cluster tcp://{nowork}: the scheduler at tcp://{nowork} has no workers (none "
                                  "joined within 10 s); start one with: dask worker tcp://{nowork}"),
    cluster_row("tcp://{garbage}", "tcp://{garbage} is not a Dask scheduler"),
    cluster_row("tcp://{closed}", "cannot reach the scheduler at tcp://{closed} (Connection refused)"),
    cluster_row("tcp://127.0.0.1:99999", "the port must be 1 to 65535"),
    cluster_row("tcp://127.0.0.1:0", "the port must be 1 to 65535"),
    cluster_row("{tmp}/s.json", "the scheduler file is not JSON", files={"s.json": "{not json"}),
    cluster_row("{tmp}/s.json", 'the scheduler file has no "address"', files={"s.json": '{"id": 1}'}),
    cluster_row("{tmp}/s.json", "the scheduler file has no", files={"s.json": "[1, 2]"}),
    cluster_row("{tmp}/s.json", "no Dask scheduler answers at tcp://{http}",
                files={"s.json": '{"address": "tcp://{http}"}'}),
    cluster_row("{tmp}/s.json", "has no workers", files={"s.json": '{"address": "tcp://{nowork}"}'}),
    cluster_row("{tmp}/s.json", "above the limit of 1.0 MB", files={"s.json": '{"address": "' + "x" * 1_000_001 + '"}'}),

    # ------------------------------------------------------------ secrets never printed (core/redact.py)
    cluster_row("tcp://admin:p@ssw0rd@127.0.0.1:1", "--cluster tcp://admin:***@127.0.0.1:1", "secrets",
                absent=("ssw0rd", "p@ss")),
    cluster_row("tcp://admin:p@ss@w0rd@{closed}", "tcp://admin:***@{closed}", "secrets", absent=("w0rd", "p@ss")),
    cluster_row("tcp://127.0.0.1:1?client_secret=TOPSECRET42", "client_secret=***", "secrets", absent=("TOPSECRET42",)),
    cluster_row("tcp://127.0.0.1:1?access_key=AK1234567", "access_key=***", "secrets", absent=("AK1234567",)),
    cluster_row("tcp://127.0.0.1:1?private_key=PK7654321", "private_key=***", "secrets", absent=("PK7654321",)),
    cluster_row("tcp://127.0.0.1:1?api_key=K99&token=T99", "api_key=***&token=***", "secrets", absent=("K99", "T99")),
    cluster_row("tcp://tok3n5ecret@{closed}", "tcp://***@{closed}", "secrets", absent=("tok3n5ecret",)),
    cluster_row("{tmp}/s.json", "", "secrets", absent=("hunter2",),
                files={"s.json": '{"address": "tcp://admin:hunter2@{closed}"}'}),
    Case("secrets", (*RUN, "--config", "{tmp}/c.toml"), "unknown key 'api_key'", {"c.toml": 'api_key = "SK-99887766"\n'},
         absent=("SK-99887766",)),
    Case("secrets", (*RUN, "--config", "{tmp}/c.toml"), "unknown key 'auth'", {"c.toml": 'cluster = 5\n[auth]\npassword = "hunter2"\n'},
         absent=("hunter2",)),
    Case("secrets", (*RUN, "--config", "{tmp}/c.toml"), "unknown key 'client_secret'",
         {"c.toml": 'client_secret = "a b \' c"\n'}, absent=("a b", "' c")),
    Case("secrets", (*LIQ, "--venue", "{tmp}/v.toml"), "api_secret = '***': unknown key",
         {"v.toml": 'base = "binance"\napi_secret = "VS-123456"\n'}, absent=("VS-123456",)),
    Case("secrets", (*LIQ, "--venue", "{tmp}/v.toml"), "passphrase = '***'",
         {"v.toml": 'base = "binance"\npassphrase = "my pass phrase"\n'}, absent=("my pass phrase", "phrase'")),
    Case("secrets", IMPORT, "'password=***' is not a number", {"p.csv": _hours(rows={3: "100,101,99,password=hunter2"})},
         absent=("hunter2",)),
    Case("secrets", IMPORT, "'api_key=***' is not a number", {"p.csv": _hours(rows={3: "100,101,99,api_key=AKIA0000"})},
         absent=("AKIA0000",)),
]

LIQ_NOW = LIQ[:-2]                                         # no --at: the default table
REV = ("calc", "reverse", "--side", "long", "--entry", "100000", "--qty", "1", "--at", "2025-10-01")
OPT = ("calc", "option", "--type", "put", "--strike", "90000", "--forward", "100000")


# a venue whose only table ended in 2020: every run without --at falls back to it, on any day
ENDED = ('base = "binance"\n[[tiers]]\nsymbol = "BTC"\nvalid_from = 2020-01-01\nvalid_to = 2020-12-31\n'
         "floor = [0]\nmmr = [0.01]\nmax_leverage = [50]\n")


def calc_row(argv, fragment):
    return Case("calc", tuple(argv), fragment)


CASES += [
    # ------------------------------------------------------------ calculators (hedgelab/cli/calc_*.py)
    calc_row((*LIQ, "--maint-amount", "-1e9"), "--maint-amount -1e+09: must be >= 0"),
    calc_row((*LIQ, "--maint-amount", "-0.01"), "--maint-amount -0.01: must be >= 0"),
    # tier 1 of Binance's late-2025 table: 100,000 USD x 0.004 = 400 USD of maintenance at entry
    calc_row((*LIQ, "--maint-amount", "400"), "--maint-amount 400: must be below the maintenance margin it is deducted "
                                             "from (notional 100000 USD x mmr 0.004 = 400 USD at entry)"),
    calc_row((*LIQ, "--maint-amount", "1e9"), "--maint-amount 1e+09: must be below"),
    calc_row((*LIQ, "--mmr", "0.01", "--maint-amount", "1000"), "notional 100000 USD x mmr 0.01 = 1000 USD"),
    calc_row((*LIQ, "--other-maint", "-1e6"), "--other-maint -1e+06: must be >= 0"),
    calc_row((*LIQ, "--other-maint", "1e300"), "--other-maint 1e+300: must be >= 0 and at most 1e+12"),
    calc_row((*LIQ, "--other-upnl", "-1e300"), "--other-upnl -1e+300: must be within +-1e+12"),
    calc_row(("calc", "liq", "--side", "long", "--entry", "100000", "--qty", "1", "--wallet", "1e300", "--at",
              "2025-10-01"), "--wallet must be a positive amount (isolated margin or cross wallet) of at most 1e+12"),
    calc_row(("calc", "liq", "--side", "long", "--entry", "100000", "--qty", "1", "--leverage", "0", "--at",
              "2025-10-01"), "--leverage 0: must be in (0, 1000]"),
    calc_row(("calc", "liq", "--side", "long", "--entry", "100000", "--qty", "1", "--leverage", "-5", "--at",
              "2025-10-01"), "--leverage -5: must be in (0, 1000]"),
    calc_row(("calc", "liq", "--side", "long", "--entry", "100000", "--qty", "-1", "--leverage", "5", "--at",
              "2025-10-01"), "qty positive"),
    calc_row(("calc", "liq", "--side", "long", "--entry", "1e10", "--qty", "1", "--leverage", "5"),
             "entry must be in (0, 1e9] USD"),
    calc_row((*LIQ, "--max-leverage", "0.5"), "--max-leverage 0.5: must be in [1, 1000]"),
    calc_row((*LIQ, "--max-leverage", "1e6"), "--max-leverage 1e+06: must be in [1, 1000]"),
    # no --at: an error is the only line (no "note: ... valid today" before it), whatever today is
    calc_row(("calc", "liq", "--side", "long", "--entry", "100000", "--qty", "1", "--leverage", "1000"),
             "error: leverage 1000 is above the binance maximum of 150x"),
    calc_row(("calc", "liq", "--side", "long", "--entry", "100000", "--qty", "1", "--wallet", "-5"),
             "error: --wallet must be a positive amount"),
    calc_row(("calc", "liq", "--venue", "bybit", "--side", "long", "--entry", "100000", "--qty", "1",
              "--leverage", "500"), "error: leverage 500 is above the bybit maximum"),
    Case("calc", ("calc", "liq", "--venue", "{tmp}/v.toml", "--side", "long", "--entry", "100000", "--qty", "1",
                  "--leverage", "60"), "error: leverage 60 is above the binance maximum of 50x", {"v.toml": ENDED}),
    Case("calc", ("calc", "reverse", "--venue", "{tmp}/v.toml", "--side", "long", "--entry", "100000", "--qty", "1",
                  "--wallet", "-1"), "error: --wallet must be a positive amount", {"v.toml": ENDED}),
    calc_row(("calc", "reverse", "--side", "long", "--entry", "100000", "--qty", "1", "--leverage", "500"),
             "error: leverage 500 is above the binance maximum of 150x"),
    calc_row((*REV, "--wallet", "-5"), "--wallet must be a positive amount"),
    calc_row((*REV, "--leverage", "nan"), "--leverage nan: must be a finite number"),
    calc_row((*REV, "--leverage", "1e6"), "--leverage 1e+06: must be in (0, 1000]"),
    calc_row(("calc", "reverse", "--side", "long", "--entry", "inf", "--qty", "1", "--leverage", "5"),
             "--entry inf: must be a finite number"),
    calc_row((*OPT, "--days", "30", "--iv", "0.0001"), "--iv: 0.0001 is below 0.05"),
    calc_row((*OPT, "--days", "1e5", "--iv", "0.5"), "--days: 100000 is more than 3650 days"),
    calc_row(("calc", "option", "--type", "put", "--strike", "90000", "--spot", "100000", "--basis", "4.9", "--days",
              "1e5", "--iv", "0.5"), "--days: 100000 is more than 3650"),   # was an OverflowError traceback
    calc_row(("calc", "option", "--type", "call", "--strike", "1e300", "--forward", "1e300", "--days", "30", "--iv",
              "0.5"), "--strike: 1e+300 USD is outside [1e-10, 1e+09]"),
    calc_row(("calc", "option", "--type", "call", "--strike", "90000", "--forward", "1e-300", "--days", "30", "--iv",
              "0.5"), "--forward: 1e-300 USD is outside"),
    # spot 1e9 x exp(4.9 x 3650 / 365) = 1.9e30: refused as a forward above 1e9
    calc_row(("calc", "option", "--type", "put", "--strike", "90000", "--spot", "1e9", "--basis", "4.9", "--days",
              "3650", "--iv", "0.5"), "--forward: 1.90735e+30 USD is outside"),
]

FETCH = ("data", "fetch", "f", "--start", "2025-09-01", "--end", "2025-09-02", "--no-dvol", "--quiet",
         "--store", "{tmp}/s")
MS_BARS = "time,open,high,low,close\n" + "".join(f"2025-01-01T00:00:00.{k:03d}Z,1,1,1,1\n" for k in range(5))


def fetch_row(extra, fragment, venue="binance"):
    return Case("fetch", (*FETCH, "--venue", venue, *extra), fragment)


def import_row(extra, fragment, prices=None, **files):
    return Case("import", (*IMPORT, *extra), fragment, {"p.csv": prices or _hours(), **files})


CASES += [
    # ------------------------------------------------------------ data import options (data/importer.py)
    import_row(("--venue", "ftx"), "--venue 'ftx': not a venue hedgelab knows; one of binance, bybit, hyperliquid, "
                                   "deribit, okx"),
    import_row(("--venue", ""), "--venue '': not a venue hedgelab knows"),
    import_row(("--venue", "x" * 100), "not a venue hedgelab knows"),
    import_row(("--venue", "Binance"), "--venue 'Binance': not a venue"),
    import_row(("--symbol", "BTC USDT!"), "--symbol 'BTC USDT!': not an exchange or ccxt symbol"),
    import_row(("--symbol", ""), "--symbol '': not an exchange or ccxt symbol"),
    import_row(("--symbol", "A" * 100), "--symbol 'AAAAAAAAAAAAAAAAAAAA"),
    import_row(("--symbol", "../../etc"), "not an exchange or ccxt symbol"),
    import_row((), "column 'time': bars every 1 ms: bars shorter than 1 minute are not supported", MS_BARS),
    import_row((), "column 'time': bars every 30s: bars shorter than 1 minute",
               "time,open,high,low,close\n" + "".join(f"2025-01-01T00:00:{s:02d}Z,1,1,1,1\n" for s in (0, 30))),
    import_row(("--bar-size", "1ms"), "--bar-size '1ms': bars shorter than 1 minute are not supported"),
    import_row(("--bar-size", "30s"), "--bar-size '30s': bars shorter than 1 minute"),
    import_row(("--iv", "{tmp}/iv.csv"), "iv.csv, column 'time': IV candles every 500 ms: a candle must last a whole "
                                        "number of seconds", None,
               **{"iv.csv": "time,dvol_close\n2025-01-01T00:00:00.000Z,45\n2025-01-01T00:00:00.500Z,45\n"}),
    Case("import", ("data", "import", "crisis-2025", "--prices", "{tmp}/p.csv", "--store", "{tmp}/s"),
         "'crisis-2025' is the built-in dataset's name", {"p.csv": _hours()}),

    # ------------------------------------------------------------ data fetch (data/fetch.py): before any download
    # a closed port as the API: a refusal after a download attempt would say "cannot reach" after retries
    Case("fetch", ("data", "fetch", "crisis-2025", "--venue", "binance", "--start", "2025-09-01", "--store", "{tmp}/s",
                   "--quiet", "--api-url", "http://{closed}"), "'crisis-2025' is the built-in dataset's name"),
    fetch_row(("--timeframe", "1s", "--api-url", "http://{closed}"),
              "--timeframe '1s': bars shorter than 1 minute are not supported"),
    fetch_row(("--timeframe", "1M", "--api-url", "http://{closed}"), "--timeframe '1M' is not a bar size"),
    fetch_row(("--symbol", "BTC USDT", "--api-url", "http://{closed}"),
              "--symbol 'BTC USDT' is not a ccxt perpetual symbol such as BTC/USDT:USDT"),
    fetch_row(("--symbol", "B" * 100, "--api-url", "http://{closed}"), "is not a ccxt perpetual symbol"),
    fetch_row(("--api-url", "http://{closed}"), "--venue 'ftx' is not supported", venue="ftx"),
    # a reply that is not the exchange's: said so, not blamed on the symbol ("not a perpetual on binance (e.g. )")
    fetch_row(("--api-url", "http://{json}"), "binance: the reply to the market list was not understood (it lists no "
                                              "perpetual market); is this binanceusdm's API?"),
    fetch_row(("--api-url", "http://{text}"), "binance: the reply to the market list was not understood"),
    fetch_row(("--api-url", "http://{list}"), "binanceusdm load_markets: the reply was not understood (AttributeError"),
    fetch_row(("--api-url", "http://{text}"), "bybit: the reply to the market list was not understood", venue="bybit"),
    fetch_row(("--api-url", "http://{json}"), "hyperliquid: the reply to the market list was not understood",
              venue="hyperliquid"),
    fetch_row(("--api-url", "http://{list}"), "hyperliquid: the reply to the market list was not understood",
              venue="hyperliquid"),
]

CATEGORIES = collections.Counter(c.category for c in CASES)



SERVERS = ("{http}", "{silent}", "{garbage}", "{nowork}", "{closed}", "{json}", "{text}", "{list}")


def _replying(body: bytes):
    """An HTTP server answering every GET and POST with 200 and ``body`` (a reply no exchange sends)."""
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        do_GET = do_POST = answer

        def log_message(self, *args):
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"127.0.0.1:{server.server_address[1]}", server


def _serve(handler_bytes=None):
    """A TCP server on localhost in a daemon thread: it accepts and then sends ``handler_bytes`` (or
    nothing, holding the connection open). Returns its HOST:PORT."""
    import socket
    import threading
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held = []

    def loop():
        while True:
            conn, _ = server.accept()
            held.append(conn)
            if handler_bytes:
                conn.sendall(handler_bytes)
    threading.Thread(target=loop, daemon=True).start()
    return f"127.0.0.1:{server.getsockname()[1]}", server


@pytest.fixture(scope="module")
def servers():
    """Real servers on localhost: a plain HTTP server, a server that accepts and stays silent, one that
    speaks another protocol (an SSH banner), a real Dask scheduler with no workers, a closed port."""
    import http.server
    import socket
    import threading

    from dask.distributed import LocalCluster
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    silent, s1 = _serve()
    garbage, s2 = _serve(b"SSH-2.0-OpenSSH_9.6\r\n")
    cluster = LocalCluster(n_workers=0, processes=False, protocol="tcp", host="127.0.0.1", scheduler_port=0,
                           dashboard_address=None)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"127.0.0.1:{s.getsockname()[1]}"
    replies = {key: _replying(body) for key, body in (("{json}", b'{"a": 1}'), ("{text}", b"garbage"),
                                                      ("{list}", b"[1, 2, 3]"))}
    yield {"{http}": f"127.0.0.1:{httpd.server_address[1]}", "{silent}": silent, "{garbage}": garbage,
           "{nowork}": cluster.scheduler_address.removeprefix("tcp://"), "{closed}": closed,
           **{key: address for key, (address, _) in replies.items()}}
    for _, server in replies.values():
        server.shutdown()
    httpd.shutdown()
    cluster.close()
    s1.close()
    s2.close()


def _fill(text: str, tmp_path, request) -> str:
    text = text.replace("{tmp}", str(tmp_path))
    if any(k in text for k in SERVERS):
        for key, value in request.getfixturevalue("servers").items():
            text = text.replace(key, value)
    return text


@pytest.mark.parametrize("case", CASES, ids=[f"{c.category}-{i}" for i, c in enumerate(CASES)])
def test_bad_input(tmp_path, capsys, monkeypatch, request, case):
    monkeypatch.setenv("HEDGELAB_HOME", str(tmp_path / "home"))
    make_files(tmp_path, {k: _fill(v, tmp_path, request) if isinstance(v, str) else v for k, v in case.files.items()})
    before = snapshot(tmp_path)
    argv = [_fill(a, tmp_path, request) for a in case.argv]
    rc, out, err = h.invoke(argv, capsys)
    assert rc == case.rc, (rc, out, err)
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    assert _fill(case.fragment, tmp_path, request) in err, err
    for secret in case.absent:
        assert secret not in err and secret not in out, err
    assert snapshot(tmp_path) == before, "a refused command wrote or replaced a file"


def test_the_table_counts_its_categories():
    """The issue's closing note reports these counts; every row has a known category."""
    assert set(CATEGORIES) <= {"secrets", "readers", "venue", "data", "cluster", "calc", "import", "fetch", "costs"}
    assert sum(CATEGORIES.values()) == len(CASES)


def test_the_calc_note_names_the_table_not_today(tmp_path, capsys):
    """Without --at on a venue whose tables have all ended, the answer names the table used (2020-01-01 to
    2020-12-31), not the machine's date, and nothing is written to stderr."""
    import datetime as dt
    import json
    (tmp_path / "v.toml").write_text(ENDED)
    base = ["calc", "liq", "--venue", str(tmp_path / "v.toml"), "--side", "long", "--entry", "100000", "--qty", "1",
            "--wallet", "10000", "--json"]
    rc, out, err = h.invoke(base, capsys)
    assert rc in (0, None), err
    # isolated long, one tier (mmr 1 %): P = (entry - wallet / qty) / (1 - mmr) = 90,000 / 0.99
    assert json.loads(out)["liquidation_price"] == pytest.approx(90_000 / 0.99, rel=1e-12)
    # the table used is part of the answer (issue 22: a warning on every call was noise)
    assert err == "" and json.loads(out)["tier_table"]["valid_to"] == "2020-12-31"
    assert str(dt.date.today()) not in out
    rc, out, err = h.invoke([*base, "--at", "2020-06-01"], capsys)
    assert rc in (0, None) and err == "" and json.loads(out)["tier_table"]["chosen"] == "--at"
