"""`python -m hedgelab.cli` exits with main()'s return code, like the `hedgelab` console script."""
import runpy
import subprocess
import sys

import pytest

import hedgelab.cli


@pytest.mark.parametrize("code", [0, 1, 2])
def test_module_entry_exits_with_mains_return_value(code, monkeypatch):
    # The console script does sys.exit(main()); `python -m` must do the same with whatever main()
    # returns (a command may return 1 instead of raising SystemExit itself).
    monkeypatch.setattr(hedgelab.cli, "main", lambda argv=None: code)
    with pytest.raises(SystemExit) as exc:
        runpy.run_module("hedgelab.cli.__main__", run_name="__main__")
    assert exc.value.code == code


def test_module_entry_version_exit_0():
    proc = subprocess.run([sys.executable, "-m", "hedgelab.cli", "--version"], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0 and "hedgelab" in proc.stdout


def test_python_dash_m_hedgelab_is_the_command(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "hedgelab", "run", "hold", "-p", "fraction=abc"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and proc.stderr.startswith("error: ") and "fraction" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
