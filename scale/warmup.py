"""First run on a fresh install: say that the simulation kernel is compiling, and compile it in a
background thread while the data loads, instead of a progress bar that sits frozen for half a minute.

The kernel (``hedgelab.engine.nb.simulate.simulate_nb``) has an explicit signature, so importing its
module compiles it, or loads it from numba's disk cache. Whether the cache holds it is read from the
cache index without importing the module: the same check numba makes (index for this numba
version, stamped with the source file's mtime and size).
"""
from __future__ import annotations

from pathlib import Path
import importlib
import importlib.util
import sys
import threading

KERNEL_MODULE = "hedgelab.engine.nb.simulate"
KERNEL = "simulate_nb"
# cold kernel compile in `hedgelab compare` on two 2-core machines of the development kind: 48 s and 29 s
COMPILE_SECONDS = (30, 50)

_STARTED = threading.Event()


def kernel_cache_cold() -> bool | None:
    """True when numba's cache has no current entry for the kernel (it will compile), False when it
    has one or the kernel is already loaded, None when that cannot be told."""
    if KERNEL_MODULE in sys.modules:
        return False
    try:
        path = importlib.util.find_spec(KERNEL_MODULE).origin
        lines = Path(path).read_text().splitlines()
        first = next(i for i, line in enumerate(lines, 1) if line.startswith(f"def {KERNEL}("))
        while first > 1 and lines[first - 2].lstrip().startswith("@"):   # numba names it by its first decorator's line
            first -= 1
        # a stand-in with the kernel's file, line, module and name: numba locates the cache from those
        namespace = {"__name__": KERNEL_MODULE}
        exec(compile("\n" * (first - 1) + f"def {KERNEL}():\n    pass\n", path, "exec"), namespace)
        from numba.core.caching import FunctionCache
        return len(FunctionCache(namespace[KERNEL])._cache_file._load_index()) == 0
    except Exception:  # noqa: BLE001 -- a private numba detail changed: say nothing rather than fail a run
        return None


def start_kernel_compile(quiet: bool = True) -> bool:
    """Once per process: when the kernel's cache is cold, print one line on stderr (unless ``quiet``)
    and compile it in a background thread; the first ``simulate`` waits for it (import lock). True
    when it started compiling."""
    if _STARTED.is_set():
        return False
    _STARTED.set()
    if not kernel_cache_cold():
        return False
    if not quiet:
        print(f"compiling the simulation kernel (first run only, {COMPILE_SECONDS[0]}-{COMPILE_SECONDS[1]} s on "
              f"2 cores)...", file=sys.stderr,
              flush=True)
    threading.Thread(target=_compile, name="hedgelab-kernel-compile", daemon=True).start()
    return True


def _compile() -> None:
    try:
        importlib.import_module(KERNEL_MODULE)
    except Exception:  # noqa: BLE001 -- the run's own import raises it again, where it is reported
        pass
