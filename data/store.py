"""The local dataset store: one directory per dataset, written atomically.

On-disk format (fixed; the built-in ``crisis-2025`` uses it too)::

    NAME/manifest.json   the manifest (JSON)
    NAME/bars.parquet    bars, tz-aware UTC DatetimeIndex named "time" as the index
    NAME/funding.parquet funding settlements, same index convention
    NAME/iv.parquet      IV prints (time known), same index convention
    NAME/coins/COIN/bars.parquet, funding.parquet, iv.parquet
                         every coin other than the primary (a dataset of several coins), same columns;
                         the manifest's "coins" holds each one's manifest entry, in order

A coin's folder must be named in the manifest's "coins" and every coin named there must have its
folder; every coin is on the primary's bar grid (``validate_coins``, at every load and write).

A write goes to a hidden temp directory beside the target and is renamed into place only when
complete, so an interrupted write never leaves a half dataset under NAME/. Hidden directories carry
the owning process's id and start time (``hedgelab.core.tempdirs``); every store operation first
recovers what a killed process left behind (``recover``): a replacing import killed between its
two renames gets the previous complete copy back under NAME/, and the rest is deleted. The coins'
folders live inside NAME/, so they are written, renamed and recovered with it as one unit.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from hedgelab.core import tempdirs as _tempdirs
from hedgelab.core.redact import redact
from hedgelab.data.dataset import (COIN_RE, NAME_RE, Dataset, bar_timedelta, base_coin, coin_manifest, coins_manifest,
                                   ns, primary_coin)
from hedgelab.data.validate import Where, validate_dataset, validate_manifest
from hedgelab.core.errors import DataError, UserError

FILES = ("manifest.json", "bars.parquet", "funding.parquet", "iv.parquet")
FRAMES = ("bars", "funding", "iv")
COIN_FILES = tuple(f"{part}.parquet" for part in FRAMES)   # what each NAME/coins/COIN/ holds
COINS_DIR = "coins"
BUILTIN_DIR = Path(__file__).parent / "builtin"
BUILTIN = ("crisis-2025",)


def _user_data_dir() -> Path:
    """Platform data directory without extra dependencies (what platformdirs would pick)."""
    home = Path.home()
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(home / "AppData" / "Local")
        return Path(base) / "hedgelab"
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / "hedgelab"
    return Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share") / "hedgelab"


def store_dir(store=None) -> Path:
    """The store: ``store`` if given, else ``$HEDGELAB_HOME``, else the user data directory."""
    if store:
        return Path(store).expanduser()
    env = os.environ.get("HEDGELAB_HOME")
    if env:
        return Path(env).expanduser()
    return _user_data_dir()


def check_name(name: str) -> str:
    """A dataset name that is safe as a directory name on every platform."""
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise UserError(f"dataset name {name!r} must be 1-64 letters, digits, '.', '_' or '-' "
                        "and start with a letter or digit")
    return name


_LEGACY_OLD = re.compile(r"^\.(?P<stem>.+)\.old-[a-z0-9_]{8}$")  # tempfile.mkdtemp names of hedgelab <= 0.x


def _legacy_old_copies(root: Path) -> list:
    """Previous copies that older hedgelab versions left (no owner in the name) when killed between
    the two renames; only offered for restoring: one whose NAME/ exists is left alone."""
    out = []
    for p in root.iterdir():
        m = _LEGACY_OLD.match(p.name)
        if m and p.is_dir() and not (root / m["stem"]).exists():
            out.append((p, m["stem"], "legacy"))
    return out


def check_store_writable(store=None) -> Path:
    """The store folder, if datasets can be written there (checked before an import's work)."""
    from hedgelab.core.outdir import check_writable
    root = store_dir(store)
    check_writable(root, "store")
    return root


def _complete(path: Path) -> bool:
    """Whether a dataset folder has all its files, the coins' named in its manifest included."""
    if not all((path / f).is_file() for f in FILES):
        return False
    try:
        named = json.loads((path / "manifest.json").read_text(encoding="utf-8")).get("coins")
    except (ValueError, UnicodeDecodeError, RecursionError, OSError, AttributeError):
        return True   # the files are all there; what they hold is for the load to judge
    if not isinstance(named, dict):
        return True
    return all((path / COINS_DIR / str(c) / f).is_file() for c in named for f in COIN_FILES)


def recover(root: Path) -> None:
    """Finish what killed processes left in the store ``root``.

    A dataset's previous copy (``.NAME.old-*``) goes back under NAME/ when NAME/ is missing and the
    copy is complete (the kill fell between the two renames of a replacing import); otherwise it
    is deleted, as are dead temp (``.tmp-``) and deletion (``.del-``) folders. Folders of live
    processes are left alone. A complete ``.NAME.old-xxxxxxxx`` of an older hedgelab (no owner in
    its name) is restored when NAME/ is missing, and never deleted.
    """
    found = _tempdirs.orphans(root) + _legacy_old_copies(root)
    for path, stem, kind in sorted(found, key=lambda f: f[2] not in ("old", "legacy")):  # restore first
        target = root / stem
        if kind in ("old", "legacy") and not target.exists() and _complete(path):
            try:
                os.replace(path, target)
                continue
            except OSError:  # another process recovered it first
                pass
        if kind != "legacy":  # an owner-less folder is never deleted: nobody can say it is debris
            shutil.rmtree(path, ignore_errors=True)


def list_datasets(store=None) -> list[str]:
    """Names of the dataset directories in the store, damaged ones included (``data list`` says
    which are damaged); hidden temp directories are skipped."""
    root = store_dir(store)
    if not root.is_dir():
        return []
    recover(root)
    return sorted(p.name for p in root.iterdir()
                  if p.is_dir() and not p.name.startswith(".") and any((p / f).exists() for f in FILES))


def available(store=None) -> list[str]:
    """Built-in names (when their files are present) followed by the store's names."""
    built = [n for n in BUILTIN if (BUILTIN_DIR / n / "manifest.json").is_file()]
    return built + [n for n in list_datasets(store) if n not in built]


def read_dir(folder: Path, name: str | None = None) -> Dataset:
    """Read and validate one dataset directory."""
    folder = Path(folder)
    for f in FILES:
        if not (folder / f).is_file():
            raise DataError(f"{folder / f}: file missing; the dataset is incomplete")
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError is a ValueError
        raise DataError(f"{folder / 'manifest.json'}: not valid JSON ({exc})") from None
    except RecursionError:
        raise DataError(f"{folder / 'manifest.json'}: not a manifest (nested too deeply)") from None
    except OSError as exc:
        raise DataError(f"{folder / 'manifest.json'}: cannot read ({exc.strerror})") from None
    validate_manifest(manifest, Where(str(folder / "manifest.json")))
    frames = _read_frames(folder)
    name = name or manifest.get("name", folder.name)
    primary = Dataset(name=name, manifest=manifest, **frames)
    validate_dataset(primary, str(folder))
    ds = Dataset(name=name, manifest=manifest, coins=_read_coins(folder, manifest, name), **frames)
    validate_coins(ds, str(folder))
    return ds


def _read_frames(folder: Path) -> dict:
    frames = {}
    for part in FRAMES:
        path = folder / f"{part}.parquet"
        try:
            frames[part] = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise DataError(f"{path}: cannot read parquet ({type(exc).__name__}: {exc})") from exc
    return frames


def _coin_entries(manifest: dict, where: Where) -> dict:
    """The manifest's ``"coins"`` checked as far as its names and entries' types: {} when absent."""
    entries = manifest.get("coins", {})
    if not isinstance(entries, dict):
        raise where.error(None, "coins", "must be an object {COIN: that coin's manifest}")
    for coin, entry in entries.items():
        if not COIN_RE.match(coin):
            raise where.error(None, f"coins.{coin}", "a coin's name is its base coin in upper case, "
                                                    "letters and digits (e.g. ETH)")
        if not isinstance(entry, dict):
            raise where.error(None, f"coins.{coin}", "must be an object (that coin's manifest)")
    return entries


def _read_coins(folder: Path, manifest: dict, name: str) -> dict:
    """The coins under ``folder/coins/``, in the manifest's order; each folder named in the manifest
    and each coin named there with its folder and files."""
    entries = _coin_entries(manifest, Where(str(folder / "manifest.json")))
    sub = folder / COINS_DIR
    named = ", ".join(entries) or "none"
    if sub.is_dir():
        for p in sorted(sub.iterdir()):
            if p.is_dir() and not p.name.startswith(".") and p.name not in entries:
                raise DataError(f"{p}: coin folder {p.name} is not named in manifest.json's \"coins\" "
                                f"(named: {named}); add its entry or remove the folder")
    coins = {}
    for coin, entry in entries.items():
        where = sub / coin
        if not where.is_dir():
            raise DataError(f"{where}: folder missing; manifest.json's \"coins\" names {coin}, so the dataset "
                            "is incomplete")
        for f in COIN_FILES:
            if not (where / f).is_file():
                raise DataError(f"{where / f}: file missing; coin {coin} of the dataset is incomplete")
        coins[coin] = Dataset(name=name, manifest=coin_manifest(entry, manifest), **_read_frames(where))
    return coins


class _KeyPath(dict):
    """``Where.columns`` for a coin's manifest: every key named by its path in the dataset's manifest."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def get(self, key, default=None):
        return f"{self.prefix}{key}"


def validate_coins(ds: Dataset, folder: str = "") -> None:
    """Check the coins of a dataset (run at every load and before every write; the primary's frames
    are ``validate_dataset``'s): each coin's manifest entry, its frames as any dataset's, and its bars
    on the primary's grid, the first differing bar named."""
    if not ds.coins:
        return
    prefix = f"{folder.rstrip('/')}/" if folder else f"{ds.name}/"
    mw = Where(prefix + "manifest.json")
    try:
        primary = primary_coin(ds.manifest)
    except UserError as exc:
        raise mw.error(None, "symbol", f"{exc}; the primary's coin must be known in a dataset of "
                                       "several coins") from None
    step = bar_timedelta(ds.manifest["bar_size"])
    for coin, sub in ds.coins.items():
        cw = Where(prefix + "manifest.json", columns=_KeyPath(f"coins.{coin}."))
        if coin == primary:
            raise mw.error(None, f"coins.{coin}", f"{coin} is the primary coin (symbol "
                                                  f"{ds.manifest.get('symbol')!r}); its data are the dataset's own files")
        if "coins" in sub.manifest:
            raise cw.error(None, "coins", "a coin's entry cannot hold coins of its own")
        validate_manifest(sub.manifest, cw)
        symbol = sub.manifest.get("symbol")
        if symbol is None:
            raise cw.error(None, "symbol", "missing manifest key (the coin's exchange symbol, e.g. "
                                           f"{coin}USDT)")
        try:
            base = base_coin(symbol)
        except UserError as exc:
            raise cw.error(None, "symbol", str(exc)) from None
        if base != coin:
            raise cw.error(None, "symbol", f"symbol {symbol!r} is a {base} symbol, not {coin}'s")
        if bar_timedelta(sub.manifest["bar_size"]) != step:
            raise cw.error(None, "bar_size", f"bar size {sub.manifest['bar_size']!r} is not the primary's "
                                             f"({primary}) {ds.manifest['bar_size']!r}: every coin is on the "
                                             "primary's bar grid")
        folder_c = prefix + f"{COINS_DIR}/{coin}"
        validate_dataset(sub, folder_c)
        _check_grid(ds.bars.index, sub.bars.index, Where(folder_c + "/bars.parquet"), coin, primary)


def _check_grid(grid: pd.DatetimeIndex, index: pd.DatetimeIndex, where: Where, coin: str, primary: str) -> None:
    """A coin's bar opens equal to the primary's, position by position; the first difference named."""
    a, b = ns(grid), ns(index)
    n = min(len(a), len(b))
    diff = np.flatnonzero(a[:n] != b[:n])
    rule = "every coin must be on the primary's bar grid (same bar opens)"
    if len(diff):
        i = int(diff[0])
        raise where.error(i, "time", f"coin {coin}'s bar at {index[i]} is not the primary's ({primary}) bar "
                                     f"at {grid[i]}; {rule}")
    if len(b) > n:
        raise where.error(n, "time", f"coin {coin} has a bar at {index[n]}, after the primary's ({primary}) "
                                     f"last bar at {grid[n - 1]}; {rule}")
    if len(a) > n:
        raise where.error(None, "time", f"coin {coin}'s bars end at {index[n - 1]}, the primary's ({primary}) "
                                        f"go on: its bar at {grid[n]} is missing from {coin}; {rule}")


def read_dataset(name: str, store=None) -> Dataset:
    """A dataset from the store; an unknown name lists the names that exist."""
    folder = store_dir(store) / check_name(name)
    if folder.parent.is_dir():
        recover(folder.parent)
    if not folder.is_dir():
        names = ", ".join(available(store)) or "none"
        raise UserError(f"no dataset named {name!r} in {store_dir(store)} (available: {names})")
    return read_dir(folder, name)


def load(name: str, store=None) -> Dataset:
    """Load a dataset by name: ``crisis-2025`` is built in, other names come from the store."""
    if name in BUILTIN:
        folder = BUILTIN_DIR / name
        if not (folder / "manifest.json").is_file():
            raise UserError(f"built-in dataset {name!r} is not installed at {folder}")
        return read_dir(folder, name)
    return read_dataset(name, store)


def _write_frames(ds: Dataset, folder: Path) -> None:
    for part in FRAMES:
        frame = getattr(ds, part).copy()
        frame.index = frame.index.rename("time")
        frame.to_parquet(folder / f"{part}.parquet", engine="pyarrow", index=True)


def _write_files(ds: Dataset, folder: Path) -> None:
    _write_frames(ds, folder)
    for coin, sub in ds.coins.items():
        where = folder / COINS_DIR / coin
        where.mkdir(parents=True)
        _write_frames(sub, where)
    text = redact(json.dumps(coins_manifest(ds), indent=2, sort_keys=False, default=str))  # no secrets on disk
    (folder / "manifest.json").write_text(text + "\n", encoding="utf-8")


def _fsync_files(ds: Dataset, folder: Path) -> None:
    """Every file written, then the coins' folders (their entries), before the renames."""
    paths = [folder / f for f in FILES]
    paths += [folder / COINS_DIR / coin / f for coin in ds.coins for f in COIN_FILES]
    for path in paths:
        with open(path, "rb") as fh:
            os.fsync(fh.fileno())
    if ds.coins:
        for coin in ds.coins:
            _fsync_dir(folder / COINS_DIR / coin)
        _fsync_dir(folder / COINS_DIR)


def _fsync_dir(folder: Path) -> None:
    """Make the renames in ``folder`` durable (POSIX; Windows has no directory handles)."""
    if os.name == "posix":
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_dataset(ds: Dataset, store=None) -> Path:
    """Validate and write ``ds`` to the store atomically; returns the dataset directory.

    Steps: (1) the files go to this process's ``.NAME.tmp-<pid>-<start>`` and are fsync'ed;
    (2) an existing NAME/ is renamed to ``.NAME.old-<pid>-<start>``; (3) the temp directory is
    renamed to NAME/; (4) the old copy is deleted. A kill at any point leaves either NAME/ complete
    or a complete ``.old`` copy that ``recover`` puts back on the next store operation.

    A dataset of several coins writes each of ``ds.coins`` to ``NAME/coins/COIN/`` inside the same
    temp folder, and the manifest's ``"coins"`` from their manifests (``coins_manifest``): the
    primary and its coins are replaced together or not at all.
    """
    check_name(ds.name)
    if ds.name in BUILTIN:
        raise UserError(f"{ds.name!r} is the built-in dataset's name; choose another name")
    validate_dataset(ds, ds.name)
    named = ds.manifest.get("coins")
    if named is not None and (not isinstance(named, dict) or set(named) != set(ds.coins)):
        said = ", ".join(named) if isinstance(named, dict) else repr(named)
        raise UserError(f"dataset {ds.name!r}: the manifest's \"coins\" names {said or 'none'} but the dataset "
                        f"holds {', '.join(ds.coins) or 'none'} (Dataset.coins); the manifest's entries are "
                        "written from Dataset.coins")
    validate_coins(ds, ds.name)
    root = check_store_writable(store)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"store {root}: cannot create it ({exc.strerror})") from None
    recover(root)
    target = root / ds.name
    tmp = _tempdirs.make_temp(root, ds.name, "tmp")
    try:
        _write_files(ds, tmp)
        _fsync_files(ds, tmp)
        old = None
        if target.exists():
            old = root / _tempdirs.temp_name(ds.name, "old")
            os.replace(target, old)
        try:
            os.replace(tmp, target)
        except BaseException:
            if old is not None:
                os.replace(old, target)  # put the previous dataset back
            raise
        _fsync_dir(root)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target
