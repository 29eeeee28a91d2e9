"""Make an exception inside a user's hook visible to the kernel.

The kernel calls the hook through a first-class function pointer: an exception raised there is
not returned to the kernel, and numba hands it to Python only when the column ran on the calling
thread (``SystemError: CPUDispatcher(...) returned a result with an exception set``); on a worker
thread of the parallel loop it is lost and the column goes on with a half-written intent. So a hook
that is not one of hedgelab's own is wrapped in ``guarded(hook)``: a small njit function that calls
it inside ``try`` and, if it raises, sets ``intent[HOOK_RAISED]``; the kernel then stops that column
(``HookError.RAISED``) and the wrapper re-runs it in plain Python (``engine/debug.py``) to report
the exception's type and message at its bar. The guard costs one compile per hook and process
(about half a second: numba cannot cache a function closing over another); hedgelab's built-in
hooks, which are tested, run unguarded.
"""
from typing import Any

import numba
from numba import njit

from hedgelab.engine.types import HOOK_RAISED, HOOK_SIG

_GUARDS: dict[int, tuple[Any, Any]] = {}


def trusted(hook: Any) -> bool:
    """hedgelab's own hooks (built-in strategies, engine and strategy helpers) run unguarded."""
    module = getattr(getattr(hook, "py_func", hook), "__module__", "") or ""
    return module.startswith("hedgelab.")


def guarded(hook: Any) -> Any:
    """``hook`` wrapped so that an exception sets ``intent[HOOK_RAISED]`` (the hook itself if
    trusted, under NUMBA_DISABLE_JIT, or already guarded)."""
    if getattr(numba.config, "DISABLE_JIT", False) or trusted(hook) or \
            getattr(hook, "_hedgelab_guard_of", None) is not None:
        return hook
    key = id(hook)
    hit = _GUARDS.get(key)
    if hit is not None and hit[0] is hook:
        return hit[1]

    @njit(HOOK_SIG, nogil=True)
    def guard_nb(i: int, state: Any, params: Any, features: Any, intent: Any) -> None:
        try:
            hook(i, state, params, features, intent)
        except Exception:  # noqa: BLE001 -- any exception: the kernel stops the column, Python names it
            intent[HOOK_RAISED] = 1.0

    setattr(guard_nb, "_hedgelab_guard_of", hook)  # noqa: B010  (a Dispatcher: mypy knows no such attribute)
    _GUARDS[key] = (hook, guard_nb)
    return guard_nb


def unguarded(hook: Any) -> Any:
    """The user's hook behind a guard (for the plain-Python re-run)."""
    return getattr(hook, "_hedgelab_guard_of", None) or hook
