"""Finding strategies: the built-ins, a user folder, and installed packages (entry points).

Every source is loaded defensively: a module that fails to import, a class that breaks the contract
(no name, a hook of the wrong signature, defaults that do not validate) or a name already taken
becomes a ``LoadFailure`` naming the plugin and the reason, and the other strategies still load.
"""
from __future__ import annotations

import ast
import difflib
import hashlib
import importlib
import importlib.metadata
import importlib.util
import inspect
import re
import sys
from pathlib import Path
from typing import NamedTuple

from hedgelab.core.errors import UserError
from hedgelab.engine.spec import MARGIN_MODES
from hedgelab.strategies.base import Strategy, ensure_compiled, hook_of

ENTRY_POINT_GROUP = "hedgelab.strategies"

# Built-in modules in strategies/builtin/, in the order reports list them (the baseline first).
BUILTIN_MODULES = ("hold", "leveraged_long", "perp_hedge", "protective_put", "collar",
                   "delever", "risk_sized", "funding_carry", "basket_hold", "basket_btc_short", "basket_own_perps",
                   "basket_btc_puts")
BUILTINS = ("hold", "leveraged-long", "perp-hedge", "protective-put", "collar",
            "delever", "risk-sized", "funding-carry")
# Basket strategies (several coins in one account, strategies/basket.py): run with a --basket.
BASKET_BUILTINS = ("basket-hold", "basket-btc-short", "basket-own-perps", "basket-btc-puts")


class LoadFailure(NamedTuple):
    name: str          # strategy name if known, else the module / file / entry-point name
    source: str        # "builtin", a file path, or "entry point <name> = <value>"
    reason: str        # one line: the exception type and message

    def __str__(self):
        return f"{self.name} ({self.source}): {self.reason}"


class Discovery(NamedTuple):
    strategies: dict   # name -> Strategy subclass, built-ins first
    failures: list     # LoadFailure records
    sources: dict      # name -> where it came from


def discover(strategies_dir=None, *, entry_points: bool = True) -> Discovery:
    """All strategies that load, and a LoadFailure for each one that does not."""
    found, failures, sources = {}, [], {}

    def add(classes, source, fallback_name):
        for cls in classes:
            problem = contract_problem(cls)
            name = getattr(cls, "name", "") or fallback_name
            if problem:
                failures.append(LoadFailure(name, source, problem))
            elif found.get(cls.name) is cls:
                continue  # the same class reached twice (e.g. a module and a class entry point)
            elif cls.name in found:
                failures.append(LoadFailure(name, source, f"name {cls.name!r} is already taken by "
                                                          f"{sources[cls.name]}"))
            else:
                found[cls.name], sources[cls.name] = cls, source

    for mod_name in BUILTIN_MODULES:
        full = f"hedgelab.strategies.builtin.{mod_name}"
        try:
            add(_classes_in(importlib.import_module(full)), "builtin", mod_name.replace("_", "-"))
        except Exception as exc:  # a broken built-in must not hide the others
            failures.append(LoadFailure(mod_name.replace("_", "-"), "builtin", _reason(exc)))

    if strategies_dir is not None:
        folder = Path(strategies_dir).expanduser()
        if not folder.is_dir():
            raise UserError(f"strategies folder not found: {folder}")
        for path in sorted(folder.glob("*.py")):
            if path.name.startswith("_"):
                continue
            try:
                add(_classes_in(_load_file(path)), str(path), path.stem)
            except (Exception, SystemExit) as exc:  # a plugin calling exit() is still just broken
                # listed under the strategy names the file declares, so `run <name>` says why
                for name in declared_names(path) or [path.stem]:
                    failures.append(LoadFailure(name, str(path), _reason(exc)))

    if entry_points:
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            source = f"entry point {ep.name} = {ep.value}"
            try:
                obj = ep.load()
                classes = _classes_in(obj) if inspect.ismodule(obj) else [obj]
                if not classes or not all(_is_strategy(c) for c in classes):
                    raise TypeError(f"{ep.value} is not a Strategy subclass or a module of them")
                add(classes, source, ep.name)
            except (Exception, SystemExit) as exc:
                failures.append(LoadFailure(ep.name, source, _reason(exc)))
    return Discovery(found, failures, sources)


def get_strategy(name: str, strategies_dir=None) -> type:
    """The strategy class called ``name``; a UserError (with a suggestion) if there is none."""
    found = discover(strategies_dir)
    if name in found.strategies:
        return found.strategies[name]
    for failure in found.failures:
        if failure.name == name:
            raise UserError(f"strategy {name!r} failed to load from {failure.source}: {failure.reason}")
    msg = f"unknown strategy {name!r}"
    close = difflib.get_close_matches(name, list(found.strategies), n=1)
    msg += f"; did you mean {close[0]!r}?" if close else f" (available: {', '.join(found.strategies)})"
    # a plugin that did not load and whose names could not be read may be the one meant: say why it failed
    broken = [f for f in found.failures if f.name not in found.strategies]
    if broken:
        more = f" (and {len(broken) - 1} more)" if len(broken) > 1 else ""
        msg += f"; a plugin did not load and may define it: {broken[0]}{more}"
    raise UserError(msg)


def contract_problem(cls) -> str | None:
    """Why ``cls`` cannot run as a strategy, or None."""
    try:
        if not isinstance(getattr(cls, "name", None), str) or not cls.name:
            return "class attribute 'name' (the CLI id) is missing"
        if cls.margin_mode not in MARGIN_MODES:
            return f"margin_mode must be 'isolated' or 'cross', not {cls.margin_mode!r}"
        warmup = getattr(cls, "warmup_bars", 0)
        if isinstance(warmup, bool) or not isinstance(warmup, int) or warmup < 0:
            return f"warmup_bars must be a whole number of bars >= 0, not {warmup!r}"
        if getattr(cls, "kind", "single") == "basket":
            from hedgelab.strategies.basket import ensure_basket_compiled
            ensure_basket_compiled(hook_of(cls))
        elif cls.targets is Strategy.targets:
            ensure_compiled(hook_of(cls))
        cls()  # the defaults must validate and the constructor must not raise
    except Exception as exc:
        return _reason(exc)
    return None


def _is_strategy(obj) -> bool:
    return inspect.isclass(obj) and issubclass(obj, Strategy) and obj is not Strategy


def _classes_in(module) -> list:
    """Strategy subclasses defined in ``module`` itself (not imported into it); a nameless class
    that another class of the module subclasses is a shared base, not a strategy."""
    own = [obj for obj in vars(module).values() if _is_strategy(obj) and obj.__module__ == module.__name__]
    bases = {b for cls in own for b in cls.__mro__[1:]}
    return [cls for cls in own if cls.name or cls not in bases]


_LOADED: dict = {}  # resolved path -> ((mtime_ns, size), module or the exception it raised)


def _load_file(path: Path):
    """Import a user file once per version of it (discover() runs more than once per command)."""
    key = str(path.resolve())
    stat = path.stat()
    stamp = (stat.st_mtime_ns, stat.st_size)
    cached = _LOADED.get(key)
    if cached is None or cached[0] != stamp:
        try:
            cached = (stamp, _exec_file(path))
        except (Exception, SystemExit) as exc:
            cached = (stamp, exc)
        _LOADED[key] = cached
    if isinstance(cached[1], BaseException):
        raise cached[1]
    return cached[1]


def _exec_file(path: Path):
    # A unique module name per file path, so two folders with the same file names do not collide.
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:8]
    mod_name = f"hedgelab_user_{digest}_{path.stem}"
    spec = importlib.util.spec_from_file_location(mod_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = module  # numba's cache and dataclasses look the module up
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(mod_name, None)
        raise
    return module


def declared_names(path: Path) -> list:
    """The ``name = "..."`` class attributes of the classes in a Python file, read without running it
    (so a file that fails to import or compile is still reported under its strategies' names)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        tree = ast.parse(text)
    except SyntaxError:   # the file does not parse: the indented ``name = "..."`` lines it has
        return re.findall(r"""^[ \t]+name\s*(?::\s*str\s*)?=\s*["']([^"'\n]+)["']""", text, flags=re.M)
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for stmt in node.body:
                targets = stmt.targets if isinstance(stmt, ast.Assign) else \
                    [stmt.target] if isinstance(stmt, ast.AnnAssign) else []
                value = getattr(stmt, "value", None)
                if any(isinstance(t, ast.Name) and t.id == "name" for t in targets) \
                        and isinstance(value, ast.Constant) and isinstance(value.value, str) and value.value:
                    names.append(value.value)
    return names


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _reason(exc: BaseException) -> str:
    """One line: the exception type and message; for numba's compiler errors the message's first
    informative line and where it points (file, line), not "Failed in nopython mode pipeline"."""
    lines = [line.strip() for line in _ANSI.sub("", str(exc)).splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    text = lines[0]
    if text.startswith("Failed in ") and len(lines) > 1:
        text = lines[1]
        if text.endswith("found for signature:") and len(lines) > 2 and lines[2].startswith(">>>"):
            # the types it was called with; said as "for" (": " after "signature" reads as a secret to redact)
            text = text[: -len("signature:")] + lines[2].removeprefix(">>>").strip()
        at = next((line for line in lines[2:] if line.startswith("File ")), None)
        if at:
            text += f" ({at.rstrip(':')})"
    return f"{type(exc).__name__}: {text}"
