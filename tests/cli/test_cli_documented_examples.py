"""Every documented command runs (issue 22: `hedgelab stress leveraged-long --method scenario support-80k ...`,
the example of `hedgelab stress --help`, failed while a test passed beside it).

The examples are parsed out of the files, not copied here, so a documented form that fails fails this test:
- every `hedgelab ...` line of a ```bash / ```sh block of README.md and docs/*.md (a `&&` chain's hedgelab
  parts; `\\` continuations joined; comments dropped). A block holds runnable commands only: a synopsis
  (`[--opt]`, `A | B`, `...`, `NAME`) there fails the test; synopses belong in prose;
- every inline `hedgelab ...` span of their prose with arguments that is not a synopsis (a bare
  command name such as `hedgelab sweep` is a name, not an example);
- every `hedgelab ...` line of a command's --help (after "Example(s):" or "One coin:" and the like).

Each runs in this process, in a folder holding the files the examples name (CSV files cut from the
built-in data, `my_strategies/` from docs/writing-a-strategy.md's fixture, a store with `mine`), with
HEDGELAB_HOME there. Shortened, and said so: `--paths`/`--stress-paths` 2; grids of more than 6,000 sets
cut to just over 5,000 (still a summary-mode sweep), grids of 61 to 5,000 sets (curves kept) to about 60;
a backtest without --start/--end runs one week
around Oct 10; no tearsheets, `-q`, `--out` in the folder; `--cluster FILE` (a running scheduler) runs on
`local`. The exit code must be 0.
"""
from __future__ import annotations

import math
import re
import shlex
from pathlib import Path

import click
import pytest

from hedgelab.data import load

from testkit import cli as h

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FIXTURE_STRATEGY = ROOT / "tests" / "strategies" / "fixtures" / "trend_hedge.py"
SHELL_BLOCKS = ("bash", "sh", "shell", "console")
# synopsis syntax: optional parts, alternatives, repetition, <placeholders>, UPPER-CASE placeholders
# (a whole word, other than a coin or symbol: BTCUSDT, SOL, BTC=0.3, ETHUSDT:long:10@4000 are values)
SYNTAX = re.compile(r"\[|\||\.\.\.|<|>")
UPPER = re.compile(r"(?<![\w=:/.@-])[A-Z][A-Z_]*(?![\w=:@./-])")
COINS = ("BTC", "ETH", "SOL", "XRP", "DOGE", "BNB")


def synopsis(text: str) -> bool:
    """Whether ``text`` (a command, comments dropped) is a synopsis rather than a command."""
    return bool(SYNTAX.search(text)) or any(w not in COINS and w.removesuffix("USDT") not in COINS
                                            for w in UPPER.findall(text))
WEEK = ["--start", "2025-10-06", "--end", "2025-10-12"]
BACKTESTS = ("run", "compare", "sweep")
MAX_SETS, SUMMARY_SETS = 6_000, 5_001   # summary mode starts above 5,000 sets (README)
MAX_CURVES = 60   # a sweep that keeps curves: its report of hundreds of runs takes seconds a hundred runs


def _joined(lines):
    out, cur = [], ""
    for line in lines:
        if line.rstrip().endswith("\\"):
            cur += line.rstrip()[:-1] + " "
            continue
        out.append(cur + line)
        cur = ""
    return out


def _hedgelab_parts(line):
    words = shlex.split(line, comments=True)
    parts, cur = [], []
    for w in [*words, "&&"]:
        if w in ("&&", ";", "&"):
            if cur and cur[0] == "hedgelab":
                parts.append(cur)
            cur = []
        else:
            cur.append(w)
    return parts


def _command_path_only(argv):
    """`hedgelab data import`: command words only, no option or argument."""
    from hedgelab.cli import _register, cli
    _register()
    cmd = cli
    for word in argv[1:]:
        if not isinstance(cmd, click.Group) or word not in cmd.commands:
            return False
        cmd = cmd.commands[word]
    return True


def documented():
    """[(where, text as written, argv)], in order, each argv once."""
    found = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"```(\w*)\n(.*?)```", text, re.S):
            if m.group(1) not in SHELL_BLOCKS:
                continue
            for line in _joined(m.group(2).splitlines()):
                if "hedgelab" in line:
                    found += [(f"{path.name} (code block)", line.strip(), argv) for argv in _hedgelab_parts(line)]
        prose = re.sub(r"```.*?```", "", text, flags=re.S)
        for m in re.finditer(r"`(hedgelab [^`]+)`", prose):
            span = m.group(1)
            argv = shlex.split(span)
            if not synopsis(span) and not _command_path_only(argv):
                found.append((f"{path.name} (inline)", span, argv))
    from hedgelab.cli import _register, cli
    _register()

    def walk(cmd, path):
        for line in _joined((cmd.help or "").splitlines()):
            s = line.strip()
            i = s.find("hedgelab ")
            if i >= 0 and (i == 0 or s[:i].rstrip().endswith(":")):
                found.extend((f"{' '.join(path)} --help", s[i:], argv) for argv in _hedgelab_parts(s[i:]))
        if isinstance(cmd, click.Group):
            for name, sub in cmd.commands.items():
                walk(sub, [*path, name])
    walk(cli, ["hedgelab"])
    seen, out = set(), []
    for where, text, argv in found:
        if tuple(argv) not in seen:
            seen.add(tuple(argv))
            out.append((where, text, argv))
    return out


EXAMPLES = documented()


def _value(argv, *flags):
    for k, a in enumerate(argv):
        if a in flags and k + 1 < len(argv):
            return k
    return None


def _cut_grids(argv):
    """Grids of more than MAX_SETS sets: the largest START:STOP:COUNT axis cut so that the sets stay
    just above 5,000 (the summary-mode path the example is about) and the test stays fast."""
    spots = [k + 1 for k, a in enumerate(argv) if a in ("-g", "--grid") and k + 1 < len(argv)]
    counts = {}
    for k in spots:
        _, _, values = argv[k].partition("=")
        parts = values.split(":")
        counts[k] = int(parts[2]) if len(parts) == 3 else len(values.split(","))
    total = math.prod(counts.values()) if counts else 0
    ranged = [k for k in spots if argv[k].count(":") == 2]
    if not ranged or MAX_CURVES >= total or SUMMARY_SETS <= total <= MAX_SETS:
        return argv
    k = max(ranged, key=lambda j: counts[j])
    others = total // counts[k]
    want = math.ceil(SUMMARY_SETS / others) if total > MAX_SETS else MAX_CURVES // others
    name, _, values = argv[k].partition("=")
    lo, hi, _ = values.split(":")
    argv = list(argv)
    argv[k] = f"{name}={lo}:{hi}:{max(2, want)}"
    return argv


def shortened(argv, out: Path):
    """The example as the test runs it (module docstring)."""
    argv = list(argv[1:])
    verb = argv[0]
    writes = verb in BACKTESTS or (verb == "stress" and (len(argv) < 2 or argv[1] != "reverse"))
    for flags in (("--paths",), ("--stress-paths",)):
        k = _value(argv, *flags)
        if k is not None:
            argv[k + 1] = str(min(int(argv[k + 1]), 2))
    if writes and verb == "stress" and _value(argv, "--paths") is None:
        argv += ["--paths", "2"]   # the default is 200
    k = _value(argv, "--cluster")
    if k is not None and not argv[k + 1].startswith("local"):
        argv[k + 1] = "local"   # a scheduler file names a running Dask cluster; the test has none
    argv = _cut_grids(argv)
    if writes:
        k = _value(argv, "--out")
        if k is not None:
            argv[k + 1] = str(out)
        else:
            argv += ["--out", str(out)]
        argv += ["-q"]
    if verb in BACKTESTS:
        if _value(argv, "--start", "--end") is None:
            argv += WEEK
        if _value(argv, "--tearsheets") is None:
            argv += ["--tearsheets", "0"]
    return argv


def _csv(frame, path, columns):
    frame = frame.loc["2025-10-01":"2025-10-14", columns].copy()
    frame.insert(0, "time", frame.index.strftime("%Y-%m-%dT%H:%M:%SZ"))
    frame.to_csv(path, index=False)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A folder with every file the examples name, and a store holding `mine`."""
    here = tmp_path_factory.mktemp("docs-examples")
    ds = load("crisis-2025")
    ohlcv = ["open", "high", "low", "close", "volume"]
    for name, coin in (("btc.csv", "BTC"), ("eth.csv", "ETH"), ("xrp.csv", "XRP"), ("eth_1h.csv", "ETH"),
                       ("xrp_1h.csv", "XRP")):
        _csv(ds.coin(coin).bars, here / name, ohlcv)
    for name, coin in (("f.csv", "BTC"), ("eth_funding.csv", "ETH")):
        _csv(ds.coin(coin).funding, here / name, ["rate"])
    spot = ds.coin("ETH").bars[["index_open", "index_high", "index_low", "index_close"]]
    spot.columns = ["open", "high", "low", "close"]
    _csv(spot, here / "eth_spot.csv", ["open", "high", "low", "close"])
    (here / "my_strategies").mkdir()
    (here / "my_strategies" / "trend_hedge.py").write_text(FIXTURE_STRATEGY.read_text())
    rc, _, _ = h.invoke(["data", "import", "mine", "--prices", str(here / "btc.csv"), "--funding",
                         str(here / "f.csv"), "--symbol", "BTCUSDT", "--store", str(here / "store")])
    assert rc in (0, None)
    (here / "home").mkdir()
    return here


def test_the_examples_are_found():
    # the forms issue 22 named, and a few from each source, are among the parsed examples
    written = {" ".join(argv) for _, _, argv in EXAMPLES}
    for form in ("hedgelab stress leveraged-long --method scenario support-80k --paths 200 --seed 1",
                 "hedgelab compare", "hedgelab calc liq --venue binance --side long --entry 100000 --qty 1 "
                 "--leverage 10 --json", "hedgelab run trend-hedge --strategies-dir my_strategies -p hedge_ratio=0.5",
                 "hedgelab stress reverse perp-hedge --at 2025-10-10 21:00"):
        assert form in written, form
    sources = {where.split(" ")[0] for where, _, _ in EXAMPLES}
    assert {"README.md", "stress.md", "writing-a-strategy.md", "hedgelab"} <= sources
    assert len(EXAMPLES) >= 40


@pytest.mark.parametrize("where, text, argv", [e for e in EXAMPLES if "code block" in e[0]],
                         ids=[f"{w}: {t}"[:90] for w, t, _ in EXAMPLES if "code block" in w])
def test_a_code_block_holds_runnable_commands_only(where, text, argv):
    assert not synopsis(shlex.join(argv)), f"{where}: a synopsis in a code block, not a command: {text}"


@pytest.mark.parametrize("where, text, argv", EXAMPLES, ids=[f"{w}: {t}"[:90] for w, t, _ in EXAMPLES])
def test_the_documented_example_runs(where, text, argv, workspace, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(workspace)
    monkeypatch.setenv("HEDGELAB_HOME", str(tmp_path / "home"))
    args = shortened(argv, tmp_path / "out")
    rc, _, err = h.invoke(args, capsys)
    assert rc in (0, None), f"{where}: `{text}` (run as `hedgelab {shlex.join(args)}`) exited {rc}: {err.strip()}"
