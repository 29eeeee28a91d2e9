"""README's excerpt of what the main job prints (``hedgelab compare``, no arguments) is what it prints:
every line of the block, in order (the liquidation explainer, shown in its own block below it, is
printed between the scenario matrix and the data lines)."""
import importlib.util
import re
from pathlib import Path

_kit = importlib.util.spec_from_file_location("cli_kit", Path(__file__).parents[1] / "support" / "testkit" / "cli.py")
kit = importlib.util.module_from_spec(_kit)
_kit.loader.exec_module(kit)

README = Path(__file__).resolve().parents[2] / "README.md"


def _blocks_after(marker: str) -> list[list[str]]:
    text = README.read_text(encoding="utf-8")
    tail = text[text.index(marker):]
    return [[ln for ln in b.splitlines() if ln.strip()] for b in re.findall(r"```text\n(.*?)```", tail, re.S)]


def test_the_readme_shows_the_main_jobs_terminal_output_line_for_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc, stdout, _ = kit.invoke(["compare"], capsys)
    assert rc == 0
    printed = [ln for ln in stdout.splitlines() if ln.strip()]
    table, explainer = _blocks_after("What `hedgelab compare` prints")[:2]
    at = 0
    for line in table:
        assert line in printed[at:], f"README line not printed (in this order): {line}"
        at = printed.index(line, at) + 1
    # the explainer block (further down) is leveraged-long's, printed by the same run
    for line in explainer:
        assert line in printed, f"README explainer line not printed: {line}"
