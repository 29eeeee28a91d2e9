"""regolden.py: the one way the expected files change; it needs a reason and rewrites only what differs."""
import importlib.util
import shutil

import pytest

from testkit import golden

CASE = "hold-small-capital"


@pytest.fixture
def regolden(tmp_path, monkeypatch):
    """The script as a module, writing into a temp copy of the expected files."""
    spec = importlib.util.spec_from_file_location("regolden", golden.GOLDEN / "regolden.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    copy = tmp_path / "expected"
    shutil.copytree(golden.EXPECTED, copy)
    monkeypatch.setattr(golden, "EXPECTED", copy)
    return module


@pytest.mark.parametrize("argv", [[], ["--why", "  "], ["--why", "x", "--only", "no-such-case"]])
def test_regolden_refuses_to_run_without_a_reason_or_with_an_unknown_case(regolden, argv, capsys):
    with pytest.raises(SystemExit) as exc:
        regolden.main(argv)
    assert exc.value.code == 2


def test_regolden_rewrites_only_what_differs_and_prints_the_commit_with_the_reason(regolden, capsys):
    path = golden.EXPECTED / f"{CASE}.json"
    pinned = path.read_text()
    assert regolden.main(["--why", "nothing changed", "--only", CASE]) == 0
    assert path.read_text() == pinned and "0 of 1 expected files rewritten" in capsys.readouterr().out
    path.write_text(pinned.replace('"final_equity": "', '"final_equity": "1'))   # a stale pinned number
    assert regolden.main(["--why", "fees now on the fill notional", "--only", CASE]) == 0
    out = capsys.readouterr().out
    assert path.read_text() == pinned
    assert "1 of 1 expected files rewritten" in out
    assert 'git commit -m "golden: regolden: fees now on the fill notional"' in out
