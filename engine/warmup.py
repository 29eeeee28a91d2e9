"""First run on a fresh install: say that the simulation kernel is compiling, and compile it in
the background while plugins and data load, instead of a progress bar that sits frozen.

The kernel (``hedgelab.engine.nb.simulate.simulate_nb``) has an explicit signature, so importing its
module compiles it, or loads it from numba's disk cache. Whether the cache holds it is read from the
cache index without importing the module: the same check numba makes (index for this numba
version, stamped with the digest hedgelab's cache locator computes from the contents of every file
the kernel is compiled from, ``engine/nb/cache.py``).

Why processes and not a thread: numba's compiler is Python holding the GIL (and one global
compiler lock), so a compiling thread and the thread loading data took turns on one core -- a fresh
``hedgelab compare`` took 26.5 s with an 18 s compile. Two child processes compile the kernel's two
independent groups of callees (``engine/nb/ahead.py``) at once, each into numba's disk cache (written
atomically: temp file, then rename); then a third compiles the kernel itself, loading those callees
from the cache, and this process loads the kernel from there. A thread here waits for the children;
the first ``simulate`` waits for that thread (``load_kernel``).
"""
from __future__ import annotations

from pathlib import Path
import atexit
import importlib
import importlib.util
import json
import os
import subprocess
import sys
import threading
import time
from types import ModuleType
from typing import Any

KERNEL_MODULE = "hedgelab.engine.nb.simulate"
KERNEL = "simulate_nb"
# The notice gives no figure measured elsewhere: compile times vary 5-10x with the machine and what else
# runs on it (15 s alone on the 2-core development machine, 125 s with another job on the second core).
# Each compile here is timed and the time kept beside numba's cache of the kernel (MEASURED), so the
# next cold start on this machine (a new version, a cleared cache) says what it took here last time.
MEASURED = "hedgelab-compile-seconds.json"
NOTICE = "compiling the simulation kernel (first run only{measured})..."

_STARTED = threading.Event()
_LOCK = threading.Lock()
_THREAD = None


def kernel_cache_cold() -> bool | None:
    """True when numba's cache has no current entry for the kernel (it will compile), False when it
    has one or the kernel is already loaded, None when that cannot be told."""
    if KERNEL_MODULE in sys.modules:
        return False
    try:
        return len(kernel_cache()._cache_file._load_index()) == 0
    except Exception:  # noqa: BLE001 -- a private numba detail changed: say nothing rather than fail a run
        return None


def kernel_cache() -> Any:
    """numba's ``FunctionCache`` of the kernel, without importing (compiling) the kernel's module: built
    for a stand-in with the kernel's file, line, module and name, from which numba locates the cache
    and hedgelab's locator (``engine/nb/cache.py``) computes the stamp the cache index must carry."""
    from numba.core.caching import FunctionCache

    import hedgelab.engine.nb  # noqa: F401 -- registers the locator numba uses for the kernel
    spec = importlib.util.find_spec(KERNEL_MODULE)
    if spec is None or spec.origin is None:
        raise ImportError(f"{KERNEL_MODULE} not found")
    path = spec.origin
    lines = Path(path).read_text().splitlines()
    first = next(i for i, line in enumerate(lines, 1) if line.startswith(f"def {KERNEL}("))
    while first > 1 and lines[first - 2].lstrip().startswith("@"):   # numba names it by its first decorator's line
        first -= 1
    namespace = {"__name__": KERNEL_MODULE}
    exec(compile("\n" * (first - 1) + f"def {KERNEL}():\n    pass\n", path, "exec"), namespace)
    return FunctionCache(namespace[KERNEL])


def start_kernel_compile(quiet: bool = True) -> bool:
    """Once per process: when the kernel's cache is cold, print one line on stderr (unless ``quiet``)
    and compile it in the background; ``load_kernel`` waits for it. True when it started compiling."""
    global _THREAD
    with _LOCK:  # sweep and stress workers may ask from several threads at once
        if _STARTED.is_set():
            return False
        _STARTED.set()
        if not kernel_cache_cold():
            return False
        if not quiet:
            print(notice(), file=sys.stderr, flush=True)
        _THREAD = threading.Thread(target=_compile, name="hedgelab-kernel-compile", daemon=True)
        _THREAD.start()  # before the lock is let go: a thread that finds _THREAD set may join it at once
    return True


def notice() -> str:
    """The line said when the kernel compiles: with the time the last compile took on this machine, if
    one was measured, else no number."""
    seconds = measured_seconds()
    return NOTICE.format(measured="" if seconds is None else f"; it took {seconds:.0f} s on this machine last time")


def measured_seconds() -> float | None:
    """Seconds the last compile here took (kept beside numba's cache of the kernel), or None."""
    try:
        value = json.loads((_cache_dir() / MEASURED).read_text())["seconds"]
        return float(value) if isinstance(value, (int, float)) and 0 < value < 86_400 else None
    except Exception:  # noqa: BLE001 -- no measurement (or an unreadable one): say no number
        return None


def _remember(seconds: float) -> None:
    """Keep the compile time for the next notice (temp file, then rename); a folder that cannot be
    written leaves the notice without a number, never fails the run."""
    try:
        folder = _cache_dir()
        tmp = folder / f".{MEASURED}.{os.getpid()}"
        tmp.write_text(json.dumps({"seconds": round(seconds, 1)}))
        os.replace(tmp, folder / MEASURED)
    except Exception:  # noqa: BLE001
        pass


def _cache_dir() -> Path:
    return Path(kernel_cache()._cache_path)


def compiling() -> bool:
    """True while the background compile started by ``start_kernel_compile`` runs."""
    thread = _THREAD
    return thread is not None and thread.is_alive()


class PatientBar:
    """A tqdm bar that shows no rate and no time left while the kernel compiles: the first run waits
    for the compile, so a rate measured on it (125 s/run) would promise minutes that the runs after
    it take in seconds. Once the compile is over, the estimate comes back as soon as one has been
    measured on runs after it; until then (tqdm would fall back to the average since the start,
    compile included) the bar shows the elapsed time alone."""

    # l_bar: the description with one ": " (set_description adds its own) and the percentage
    FORMAT = "{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}, compiling the kernel]"
    MEASURING = "{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}]"

    def __init__(self, bar: Any):
        self._bar = bar
        self._state = "compiling" if compiling() and not getattr(bar, "disable", True) else "done"
        if self._state == "compiling":
            self._format = bar.bar_format
            bar.bar_format = self.FORMAT

    def update(self, n: float = 1) -> Any:
        bar = self._bar
        if self._state == "measuring" and bar._ema_dt():   # a rate measured on runs after the compile only
            bar.bar_format = self._format
            self._state = "done"
        out = bar.update(n)
        if self._state == "compiling" and not compiling():
            # this update's time held the compile: the rate starts afresh from here
            from tqdm.std import EMA
            bar._ema_dn, bar._ema_dt = EMA(bar.smoothing), EMA(bar.smoothing)
            bar.last_print_n, bar.last_print_t = bar.n, getattr(bar, "_time", time.time)()
            bar.bar_format = self.MEASURING
            self._state = "measuring"
        return out

    def __getattr__(self, name: str) -> Any:
        return getattr(self._bar, name)


def load_kernel() -> ModuleType:
    """The kernel's module: from numba's cache, else compiled as ``start_kernel_compile`` does (started
    here, silently, when the CLI did not start it earlier: the API, sweep and stress workers)."""
    if KERNEL_MODULE not in sys.modules:
        start_kernel_compile(quiet=True)
    if _THREAD is not None:
        _THREAD.join()
    return importlib.import_module(KERNEL_MODULE)


# Each child sees this process's sys.path, so it compiles the very files this process will import (a
# source checkout on sys.path shadows an installed copy; a child must not pick the other one).
_CHILD = "import json, sys; sys.path[:] = json.loads(sys.argv[1]); "
_GROUP = _CHILD + "from hedgelab.engine.nb.ahead import compile_group; compile_group(sys.argv[2])"
_KERNEL = _CHILD + f"import {KERNEL_MODULE}"


def _compile() -> None:
    """The callee groups in parallel, then the kernel, each in a child process: a process of its own
    compiles the kernel in 8.5 s, this one (its heap full of data and plotting modules) in 11 s.
    Timed, and the time kept for the next notice when the kernel landed in the cache."""
    from hedgelab.engine.nb.ahead import GROUPS
    began = time.monotonic()
    _run_children([[_GROUP, group] for group in GROUPS])
    _run_children([[_KERNEL]])  # its callees load from the cache the groups wrote
    if kernel_cache_cold() is False:
        _remember(time.monotonic() - began)


def _run_children(commands: list) -> None:
    children = []
    for code, *args in commands:
        try:
            children.append(subprocess.Popen([sys.executable, "-c", code, json.dumps(sys.path), *args],
                                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                             stderr=subprocess.DEVNULL))
        except OSError:  # no child processes here: load_kernel compiles it all in this one
            return
        atexit.register(_stop, children[-1])  # a run that ends early (bad input) leaves no compiler behind
    for child in children:
        child.wait()  # a failure is not reported here: load_kernel's import compiles (and fails) loudly


def _stop(child: subprocess.Popen) -> None:
    if child.poll() is None:
        child.kill()
