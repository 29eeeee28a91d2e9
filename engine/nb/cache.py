"""numba's disk cache for hedgelab's numba code, stamped with every file that code is compiled from.

numba checks a cached function against its own source file only (a hash of that file's contents).
But a caller's machine code contains its callees: ``simulate_nb`` in ``simulate.py`` carries the
compiled ``apply_intent_nb`` of ``intent.py``, the ``Acc`` constants of ``account.py`` and so on, and
an edit to those files leaves ``simulate.py``'s hash as it was, so the cache kept serving the old
helper code (a known numba limitation: a callee's change does not invalidate its callers).

``FamilyLocator`` (registered ahead of numba's own locators by ``engine/nb/__init__.py``, before any
hedgelab function is decorated) stamps each cached function of hedgelab's with one digest of the
contents of every file its compiled code can contain, by layer:

- ``ENGINE``: the kernels, their helpers and the layouts they read (``engine/nb/*.py``,
  ``engine/types.py``, ``engine/basket_types.py``); a function defined there is stamped with all of them;
- ``HELPERS``: the strategies' numba helpers (``strategies/hooks.py``, ``basket_hooks.py``): ENGINE and
  HELPERS;
- ``HOOKS``: decision hooks, which no other numba code calls (``engine/hooks.py``, the built-in
  strategies): ENGINE, HELPERS and the hook's own file.

So any change to any of those files invalidates every cache entry that may hold its code (an edit
in ``engine/nb`` recompiles the kernel, ~15 s; in a built-in strategy only that strategy's hook).
Where the cache lives (``__pycache__``, ``NUMBA_CACHE_DIR``, the user-wide folder) and how its
files are named stay numba's: the locator wraps the one numba would have used and replaces only its
source stamp. Functions outside these files (a user's plugin) keep numba's own stamp.
``tests/engine/test_kernel_cache.py`` fails when a file with cached numba code is in no layer, or when
numba code uses a hedgelab name from a file outside its stamp (add the file to a layer then).
"""
from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
from pathlib import Path

from numba.core import caching
from numba.core.caching import _CacheLocator

CacheImpl = getattr(caching, "CacheImpl", None) or caching._CacheImpl  # renamed in numba 0.59

ENGINE = ("engine/nb/*.py", "engine/types.py", "engine/basket_types.py")
HELPERS = ("strategies/hooks.py", "strategies/basket_hooks.py")
HOOKS = ("engine/hooks.py", "strategies/builtin/*.py")
LAYERS = (ENGINE, HELPERS, HOOKS)   # each layer's code may call (inline) the layers before it


@functools.lru_cache(maxsize=None)
def package_roots() -> dict:
    """{"engine": folder of hedgelab.engine, "strategies": folder of hedgelab.strategies}: the first
    word of a pattern above (the same in a source checkout and an installed copy)."""
    engine = Path(__file__).resolve().parents[1]
    spec = importlib.util.find_spec("hedgelab.strategies")  # located, not imported
    strategies = Path(next(iter(spec.submodule_search_locations))) if spec else engine.parent / "strategies"
    return {"engine": engine, "strategies": strategies.resolve()}


def _expand(patterns, roots) -> list:
    """[(name relative to the roots, path)] of the files the patterns match, sorted by name."""
    out = []
    for pattern in patterns:
        top, rest = pattern.split("/", 1)
        out.extend((f"{top}/{p.relative_to(roots[top]).as_posix()}", p) for p in roots[top].glob(rest))
    return sorted(out)


def stamp_files(py_file, roots=None) -> list | None:
    """[(name, path)] of the files whose contents stamp a cached function defined in ``py_file``;
    None when the file is not one of hedgelab's numba files (numba's own stamp applies)."""
    roots = roots or package_roots()
    here = Path(os.path.realpath(py_file))
    below = []
    for layer in LAYERS:
        files = _expand(layer, roots)
        mine = [f for f in files if f[1] == here]
        if mine:
            return below + (mine if layer is HOOKS else files)
        below += files
    return None


@functools.lru_cache(maxsize=None)
def _file_digest(path: str, mtime_ns: int, size: int) -> bytes:
    # keyed on mtime and size, so that a file edited while a process runs is read again
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).digest()


def source_stamp(files) -> str:
    """One digest of the files' names and contents."""
    h = hashlib.sha256()
    for name, path in files:
        st = os.stat(path)
        h.update(name.encode() + b"\0" + _file_digest(str(path), st.st_mtime_ns, st.st_size))
    return "hedgelab:" + h.hexdigest()


class FamilyLocator(_CacheLocator):
    """numba's locator for the function, with the stamp of ``stamp_files`` instead of its own file's."""

    def __init__(self, inner: _CacheLocator, files: list):
        self._inner = inner
        self._files = files

    def ensure_cache_path(self):
        self._inner.ensure_cache_path()

    def get_cache_path(self):
        return self._inner.get_cache_path()

    def get_disambiguator(self):
        return self._inner.get_disambiguator()

    def get_source_stamp(self):
        return source_stamp(self._files)

    @property
    def _py_file(self):
        # numba's "cannot cache" warning names the locator's file: the inner locator's, not an AttributeError
        return self._inner._py_file

    @property
    def files(self) -> list:
        """The names of the files in the stamp (``engine/nb/account.py``, ...)."""
        return [name for name, _ in self._files]

    @classmethod
    def from_function(cls, py_func, py_file):
        files = stamp_files(py_file)
        if files is None:
            return None
        for other in CacheImpl._locator_classes:
            if other is cls:
                continue
            inner = other.from_function(py_func, py_file)
            if inner is not None:
                return cls(inner, files)
        return None


def register() -> None:
    """Put ``FamilyLocator`` first among numba's cache locators (once)."""
    if FamilyLocator not in CacheImpl._locator_classes:
        CacheImpl._locator_classes.insert(0, FamilyLocator)
