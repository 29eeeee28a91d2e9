"""Malformed inputs: each is refused with one line naming file, row and column, through the API and
through the CLI (exit code 2, no traceback, nothing written to the store).

Row convention under test: "row N" = N-th data row of the file, header not counted, so in the
``lines`` lists below (index 0 = header) data row N is ``lines[N]``.
"""
import subprocess
import sys

import pandas as pd
import pytest

from hedgelab.cli import main
from hedgelab.data import import_files
from hedgelab.core.errors import DataError, UserError


def prices():
    """24 valid hourly bars; data row k (1-based) opens at (k-1):00 with open 99 + k, high open + 2,
    low open - 1, close open + 1, volume 10."""
    t = pd.date_range("2025-01-01", periods=24, freq="1h")
    return ["time,open,high,low,close,volume"] + [
        f"{x:%Y-%m-%d %H:%M:%S},{100 + i},{102 + i},{99 + i},{101 + i},10" for i, x in enumerate(t)]


def funding():
    return ["funding_time,funding_rate,mark_price",
            "2025-01-01 00:00:00,0.0001,101", "2025-01-01 08:00:00,0.0001,109",
            "2025-01-01 16:00:00,-0.0002,117"]


def iv():
    return ["time,iv"] + [f"2025-01-01 0{h}:00:00,0.45" for h in range(6)]


def cell(lines, row, col, value):
    """Set one CSV cell: data row ``row``, column index ``col``."""
    parts = lines[row].split(",")
    parts[col] = value
    lines[row] = ",".join(parts)
    return lines


def epoch_ms(lines):
    out = [lines[0]]
    for line in lines[1:]:
        t, rest = line.split(",", 1)
        out.append(f"{int(pd.Timestamp(t, tz='UTC').value // 1_000_000)},{rest}")
    return out


def with_suffix(lines, suffix):
    return [lines[0]] + [line.replace(",", f"{suffix},", 1) for line in lines[1:]]


# (id, which file is broken, how, extra import kwargs, row or None, column, message fragment)
CASES = [
    ("duplicate time", "prices", lambda l: cell(l, 5, 0, l[4].split(",")[0]), {}, 5, "time",
     "duplicate timestamp"),
    ("unsorted", "prices", lambda l: l[:7] + [l[8], l[7]] + l[9:], {}, 8, "time", "earlier than the row before"),
    ("off grid", "prices", lambda l: cell(l, 10, 0, "2025-01-01 09:30:00"), {}, 10, "time", "not on the"),
    ("gap too long", "prices", lambda l: l[:10] + l[18:], {}, 10, "time", "gap of 8 missing bars"),
    ("empty close", "prices", lambda l: cell(l, 3, 4, ""), {}, 3, "close", "missing price"),
    ("not a number", "prices", lambda l: cell(l, 4, 4, "abc"), {}, 4, "close", "'abc' is not a number"),
    ("negative low", "prices", lambda l: cell(l, 6, 3, "-5"), {}, 6, "low", "price -5.0 must be positive"),
    ("high below low", "prices", lambda l: cell(l, 7, 2, "90"), {}, 7, "high", "high 90.0 is below low 105.0"),
    ("close outside range", "prices", lambda l: cell(l, 8, 4, "200"), {}, 8, "close",
     "close 200.0 is outside the bar's range [low 106.0, high 109.0]"),
    ("negative volume", "prices", lambda l: cell(l, 9, 5, "-1"), {}, 9, "volume", "volume -1.0 must be zero or more"),
    ("non-UTC offset", "prices", lambda l: cell(with_suffix(l, "+00:00"), 12, 0, "2025-01-01 11:00:00+02:00"), {},
     12, "time", "has offset +02:00, not UTC"),
    ("mixed zones", "prices", lambda l: cell(l, 5, 0, "2025-01-01T04:00:00Z"), {}, 5, "time", "mixed time zones"),
    ("mixed epoch units", "prices", lambda l: cell(epoch_ms(l), 3, 0, "1735696800"), {}, 3, "time",
     "is in s but row 1 is in ms"),
    ("unparseable time", "prices", lambda l: cell(l, 6, 0, "yesterday"), {}, 6, "time", "not an ISO-8601 time"),
    ("missing time", "prices", lambda l: cell(l, 2, 0, ""), {}, 2, "time", "missing time"),
    ("no close column", "prices", lambda l: [x.rsplit(",", 2)[0] + "," + x.rsplit(",", 1)[1] for x in l], {},
     None, None, "column for 'close': not found"),
    ("half a mark series", "prices", lambda l: [l[0] + ",mark_open"] + [x + ",100" for x in l[1:]], {}, None,
     "mark_high", "mark_open/high/low/close must all be given or none"),
    ("funding in percent", "funding", lambda l: cell(l, 2, 1, "0.05"), {}, 2, "funding_rate",
     "funding rate 0.05 is outside +-0.03"),
    ("whole funding file in percent", "funding", lambda l: [cell(l, k, 1, "0.01") for k in (1, 2, 3)][-1], {},
     None, "funding_rate", "use --funding-unit percent"),
    ("funding rate empty", "funding", lambda l: cell(l, 3, 1, ""), {}, 3, "funding_rate", "missing funding rate"),
    ("negative settlement mark", "funding", lambda l: cell(l, 1, 2, "-101"), {}, 1, "mark_price",
     "mark price -101.0 must be positive"),
    ("duplicate settlement", "funding", lambda l: cell(l, 3, 0, "2025-01-01 08:00:00"), {}, 3, "funding_time",
     "duplicate timestamp"),
    ("settlement off the bar grid", "funding", lambda l: cell(l, 2, 0, "2025-01-01 08:30:00"), {}, 2,
     "funding_time", "is not at a bar open (bars every 1h"),
    ("IV percent read as decimal", "iv", lambda l: [cell(l, k, 1, "45.2") for k in range(1, 7)][-1], {}, 1, "iv",
     "use --iv-unit percent"),
    ("IV decimal read as percent", "iv", lambda l: l, {"iv_unit": "percent"}, 1, "iv", "use --iv-unit decimal"),
    ("IV zero", "iv", lambda l: cell(l, 4, 1, "0"), {}, 4, "iv", "implied volatility 0.0 must be positive"),
]


@pytest.fixture
def files(tmp_path):
    """Write the three files, breaking one; returns their paths."""
    def build(kind, mutate):
        base = {"prices": prices(), "funding": funding(), "iv": iv()}
        base[kind] = mutate(base[kind])
        paths = {}
        for k, lines in base.items():
            paths[k] = tmp_path / f"{k}.csv"
            paths[k].write_text("\n".join(lines) + "\n", encoding="utf-8")
        return paths
    return build


def check_message(msg, paths, kind, row, column, fragment):
    assert "\n" not in msg
    assert msg.startswith(str(paths[kind])), msg
    if row is not None:
        assert f", row {row} (data rows from 1, header not counted)" in msg, msg
    if column is not None:
        assert f"column '{column}'" in msg, msg
    assert fragment in msg, msg


def test_there_are_at_least_15_cases():
    assert len(CASES) >= 15


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_malformed_api(case, files, tmp_path):
    _, kind, mutate, extra, row, column, fragment = case
    paths = files(kind, mutate)
    store = tmp_path / "store"
    with pytest.raises(DataError) as err:
        import_files("bad", paths["prices"], funding=paths["funding"], iv=paths["iv"], store=store, **extra)
    check_message(str(err.value), paths, kind, row, column, fragment)
    assert not store.exists()


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_malformed_cli(case, files, tmp_path, capsys):
    _, kind, mutate, extra, row, column, fragment = case
    paths = files(kind, mutate)
    store = tmp_path / "store"
    argv = ["data", "import", "bad", "--prices", str(paths["prices"]), "--funding", str(paths["funding"]),
            "--iv", str(paths["iv"]), "--store", str(store)]
    if "iv_unit" in extra:
        argv += ["--iv-unit", extra["iv_unit"]]
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    check_message(err[len("error: "):].rstrip("\n"), paths, kind, row, column, fragment)
    assert not store.exists()


@pytest.mark.parametrize("case", [CASES[7], CASES[17]], ids=["high below low", "funding in percent"])
def test_malformed_subprocess_exit_code(case, files, tmp_path):
    """The real console process: exit code 2, one stderr line, no traceback, empty store."""
    _, kind, mutate, _, row, column, fragment = case
    paths = files(kind, mutate)
    store = tmp_path / "store"
    proc = subprocess.run([sys.executable, "-m", "hedgelab.cli", "data", "import", "bad", "--prices",
                           str(paths["prices"]), "--funding", str(paths["funding"]), "--iv", str(paths["iv"]),
                           "--store", str(store)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    check_message(proc.stderr.strip().removeprefix("error: "), paths, kind, row, column, fragment)
    assert not store.exists()


def test_bad_col_option_and_unknown_role(files, tmp_path):
    paths = files("prices", lambda l: l)
    with pytest.raises(UserError, match=r"--col close=price: no given file has a column 'price'"):
        import_files("x", paths["prices"], cols={"close": "price"}, store=tmp_path / "s")
    with pytest.raises(UserError, match=r"--col colour=open: unknown role"):
        import_files("x", paths["prices"], cols={"colour": "open"}, store=tmp_path / "s")


def test_import_replaces_nothing_when_new_files_are_bad(files, tmp_path):
    """A failed re-import leaves the previous dataset of that name untouched."""
    good = files("prices", lambda l: l)
    store = tmp_path / "store"
    import_files("same", good["prices"], store=store)
    bad = files("prices", lambda l: cell(l, 7, 2, "90"))
    with pytest.raises(DataError):
        import_files("same", bad["prices"], store=store)
    from hedgelab.data import load
    assert len(load("same", store).bars) == 24
