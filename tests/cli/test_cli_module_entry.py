"""`python -m hedgelab.cli` exits with main()'s return code, like the `hedgelab` console script."""
import os
import subprocess
import sys


def test_module_entry_passes_exit_code_1(tmp_path):
    # A plugin folder with one file that fails to import: `strategies` lists the rest and returns 1
    # (README: exit 1 when a strategy failed). Before the fix `python -m` dropped it and exited 0.
    (tmp_path / "broken_import.py").write_text("raise ImportError('needs the moon module')\n")
    proc = subprocess.run([sys.executable, "-m", "hedgelab.cli", "strategies", "--strategies-dir",
                           str(tmp_path)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert proc.returncode == 1, proc.stderr
    assert "needs the moon module" in proc.stderr


def test_module_entry_exit_code_0(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "hedgelab.cli", "--version"], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0 and "hedgelab" in proc.stdout
