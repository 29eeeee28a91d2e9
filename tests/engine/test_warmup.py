"""A cold numba cache is detected without compiling, and announced once on stderr."""
import os
import subprocess
import sys

from hedgelab.engine import warmup

CHECK = "from hedgelab.engine.warmup import kernel_cache_cold; import sys; " \
        "print(kernel_cache_cold(), 'hedgelab.engine.nb.simulate' in sys.modules)"


def run(code, cache_dir, tmp_path):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir))
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                         check=True)
    return out.stdout.split()


def test_empty_cache_is_cold_and_nothing_compiled(tmp_path):
    assert run(CHECK, tmp_path / "empty-cache", tmp_path) == ["True", "False"]


def test_announced_once_and_compiled_in_the_background(monkeypatch, capsys):
    compiled = []
    monkeypatch.setattr(warmup, "_STARTED", type(warmup._STARTED)())
    monkeypatch.setattr(warmup, "_THREAD", None)
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
    monkeypatch.setattr(warmup, "_THREAD", None)
    monkeypatch.setattr(warmup, "kernel_cache_cold", lambda: True)
    monkeypatch.setattr(warmup, "_compile", lambda: None)
    assert warmup.start_kernel_compile(quiet=True) is True
    assert capsys.readouterr().err == ""


def test_a_cold_cache_is_compiled_by_child_processes_loaded_here_and_warm_after(tmp_path):
    # The whole first-run path with an empty cache, as the API and the workers take it (load_kernel
    # alone): the two groups and the kernel compile in child processes; this process only loads the
    # kernel from the cache they wrote (a cache hit).
    code = ("from hedgelab.engine import warmup; kernel = warmup.load_kernel(); "
            "print(warmup._THREAD is not None, sum(kernel.simulate_nb.stats.cache_hits.values()), "
            "sum(kernel.simulate_nb.stats.cache_misses.values()))")
    cache = tmp_path / "fresh-cache"
    assert run(code, cache, tmp_path) == ["True", "1", "0"]
    written = {p.name.split("-")[0] for p in cache.rglob("*.nbi")}
    assert {"legs.book_nb", "intent.apply_intent_nb", "hook_state.fill_state_nb", "simulate.simulate_nb"} <= written
    assert run(CHECK, cache, tmp_path) == ["False", "False"]  # the next process finds it warm
