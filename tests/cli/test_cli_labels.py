"""Run labels: the parameters that vary across the runs come first, and no label is cut in the terminal
or on the page (a label cut at 60 characters lost the one parameter that told two runs apart)."""
import html
import re
from pathlib import Path

from testkit import cli as h

PLUGIN = Path(__file__).parents[1] / "strategies" / "fixtures" / "put_spread.py"
RANGE = ["--start", "2025-10-01", "--end", "2025-10-20"]


def test_a_sweep_of_the_last_parameter_shows_it_first_and_in_full(tmp_path, capsys):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "put_spread.py").write_text(PLUGIN.read_text())
    out = tmp_path / "out"
    # reopen_on_expiry is the last declared parameter and the only one that varies; the three others
    # differ from their defaults, so they are shown too, after it, in declaration order
    rc, stdout, err = h.invoke(["sweep", "put-spread", "--strategies-dir", str(plugins), "-g",
                                "reopen_on_expiry=true,false", "-p", "long_strike=0.9", "-p", "short_strike=0.75",
                                "-p", "tenor_days=14", "--out", str(out), *RANGE], capsys)
    assert rc == 0, err
    labels = [f"put-spread(reopen_on_expiry={flag},long_strike=0.9,short_strike=0.75,tenor_days=14)"
              for flag in ("true", "false")]
    assert all(len(label) > 60 for label in labels)   # longer than the terminal's old cut
    rows = [line for line in stdout.splitlines() if line[:1].isdigit()]
    assert sorted(line.split()[1] for line in rows) == sorted(labels), stdout
    assert "…" not in stdout
    page = html.unescape((out / "report.html").read_text())
    shown = re.findall(r"<td class='l run'><details><summary[^>]*>([^<]*)</summary>", page)
    assert sorted(shown) == sorted(labels)
    summary, _ = h.read_outputs(out)
    assert sorted(summary["run"]) == sorted(labels)
