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
import subprocess
import sys
import threading
from types import ModuleType
from typing import Any

KERNEL_MODULE = "hedgelab.engine.nb.simulate"
KERNEL = "simulate_nb"
# cold kernel compile on the 2-core development machine, 2026-12-05: 15 s alone (groups in parallel, then
# the kernel); a fresh `hedgelab compare` 18-19 s in all, its plugins and data loading beside it. Slower
# machines of the kind: 1.5x
COMPILE_SECONDS = (15, 30)

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
            print(f"compiling the simulation kernel (first run only, {COMPILE_SECONDS[0]}-{COMPILE_SECONDS[1]} s "
                  f"on 2 cores)...", file=sys.stderr, flush=True)
        _THREAD = threading.Thread(target=_compile, name="hedgelab-kernel-compile", daemon=True)
        _THREAD.start()  # before the lock is let go: a thread that finds _THREAD set may join it at once
    return True


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
    compiles the kernel in 8.5 s, this one (its heap full of data and plotting modules) in 11 s."""
    from hedgelab.engine.nb.ahead import GROUPS
    _run_children([[_GROUP, group] for group in GROUPS])
    _run_children([[_KERNEL]])  # its callees load from the cache the groups wrote


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
