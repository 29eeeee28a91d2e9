"""The local dataset store: one directory per dataset, written atomically.

On-disk format (fixed; the built-in ``crisis-2025`` uses it too)::

    NAME/manifest.json   the manifest (JSON)
    NAME/bars.parquet    bars, tz-aware UTC DatetimeIndex named "time" as the index
    NAME/funding.parquet funding settlements, same index convention
    NAME/iv.parquet      IV prints (time known), same index convention

A write goes to a hidden temp directory beside the target and is renamed into place only when
complete, so an interrupted write never leaves a half dataset under NAME/. Hidden directories carry
the owning process's id and start time (``hedgelab.core.tempdirs``); every store operation first
recovers what a killed process left behind (``recover``): a replacing import killed between its
two renames gets the previous complete copy back under NAME/, and the rest is deleted.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

import pandas as pd

from hedgelab.core import tempdirs as _tempdirs
from hedgelab.core.redact import redact
from hedgelab.data.dataset import NAME_RE, Dataset
from hedgelab.data.validate import Where, validate_dataset, validate_manifest
from hedgelab.core.errors import DataError, UserError

FILES = ("manifest.json", "bars.parquet", "funding.parquet", "iv.parquet")
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
        if kind in ("old", "legacy") and not target.exists() and all((path / f).is_file() for f in FILES):
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
    frames = {}
    for part in ("bars", "funding", "iv"):
        path = folder / f"{part}.parquet"
        try:
            frames[part] = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise DataError(f"{path}: cannot read parquet ({type(exc).__name__}: {exc})") from exc
    ds = Dataset(name=name or manifest.get("name", folder.name), bars=frames["bars"],
                 funding=frames["funding"], iv=frames["iv"], manifest=manifest)
    validate_dataset(ds, str(folder))
    return ds


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


def _write_files(ds: Dataset, folder: Path) -> None:
    for part in ("bars", "funding", "iv"):
        frame = getattr(ds, part).copy()
        frame.index = frame.index.rename("time")
        frame.to_parquet(folder / f"{part}.parquet", engine="pyarrow", index=True)
    text = redact(json.dumps(ds.manifest, indent=2, sort_keys=False, default=str))  # no secrets on disk
    (folder / "manifest.json").write_text(text + "\n", encoding="utf-8")


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
    """
    check_name(ds.name)
    if ds.name in BUILTIN:
        raise UserError(f"{ds.name!r} is the built-in dataset's name; choose another name")
    validate_dataset(ds, ds.name)
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
        for f in FILES:
            with open(tmp / f, "rb") as fh:
                os.fsync(fh.fileno())
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
