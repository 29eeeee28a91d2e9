"""A cold numba cache is detected without compiling, and announced once on stderr."""
import os
import subprocess
import sys

from hedgelab.scale import warmup

CHECK = "from hedgelab.scale.warmup import kernel_cache_cold; import sys; " \
        "print(kernel_cache_cold(), 'hedgelab.engine.nb.simulate' in sys.modules)"


def run(code, cache_dir, tmp_path):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir))
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                         check=True)
    return out.stdout.split()


def test_empty_cache_is_cold_and_nothing_compiled(tmp_path):
    assert run(CHECK, tmp_path / "empty-cache", tmp_path) == ["True", "False"]


def test_cache_written_by_an_earlier_process_is_warm(tmp_path):
    # the suite's own cache dir: loading the kernel there writes (or finds) its index
    cache = os.environ.get("NUMBA_CACHE_DIR") or str(tmp_path / "cache")
    run("import hedgelab.engine.nb.simulate", cache, tmp_path)
    assert run(CHECK, cache, tmp_path) == ["False", "False"]


def test_announced_once_and_compiled_in_the_background(monkeypatch, capsys):
    compiled = []
    monkeypatch.setattr(warmup, "_STARTED", type(warmup._STARTED)())
    monkeypatch.setattr(warmup, "kernel_cache_cold", lambda: True)
    monkeypatch.setattr(warmup, "_compile", lambda: compiled.append(1))
    assert warmup.start_kernel_compile(quiet=False) is True
    assert warmup.start_kernel_compile(quiet=False) is False
    err = capsys.readouterr().err
    lo, hi = warmup.COMPILE_SECONDS
    assert err == f"compiling the simulation kernel (first run only, {lo}-{hi} s on 2 cores)...\n"
    for thread in __import__("threading").enumerate():
        if thread.name == "hedgelab-kernel-compile":
            thread.join()
    assert compiled == [1]


def test_quiet_compiles_without_a_word(monkeypatch, capsys):
    monkeypatch.setattr(warmup, "_STARTED", type(warmup._STARTED)())
    monkeypatch.setattr(warmup, "kernel_cache_cold", lambda: True)
    monkeypatch.setattr(warmup, "_compile", lambda: None)
    assert warmup.start_kernel_compile(quiet=True) is True
    assert capsys.readouterr().err == ""
