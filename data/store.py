"""The local dataset store: one directory per dataset, written atomically.

On-disk format (fixed; the built-in ``crisis-2025`` uses it too)::

    NAME/manifest.json   the manifest (JSON)
    NAME/bars.parquet    bars, tz-aware UTC DatetimeIndex named "time" as the index
    NAME/funding.parquet funding settlements, same index convention
    NAME/iv.parquet      IV prints (time known), same index convention

A write goes to a hidden temp directory beside the target and is renamed into place only when
complete, so an interrupted write never leaves a half dataset under NAME/.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pandas as pd

from hedgelab.data.dataset import NAME_RE, Dataset
from hedgelab.data.validate import validate_dataset
from hedgelab.errors import DataError, UserError

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


def list_datasets(store=None) -> list[str]:
    """Names of the complete datasets in the store (temp and damaged directories are skipped)."""
    root = store_dir(store)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir()
                  if p.is_dir() and not p.name.startswith(".") and (p / "manifest.json").is_file())


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
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{folder / 'manifest.json'}: not valid JSON ({exc})") from exc
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
    if not (folder / "manifest.json").is_file():
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
    text = json.dumps(ds.manifest, indent=2, sort_keys=False, default=str)
    (folder / "manifest.json").write_text(text + "\n", encoding="utf-8")


def write_dataset(ds: Dataset, store=None) -> Path:
    """Validate and write ``ds`` to the store atomically; returns the dataset directory.

    The files go to a hidden temp directory in the store, are fsync'ed, and the directory is
    renamed into place. An existing dataset of the same name is first renamed aside and removed
    only after the new one is in place (and restored if the final rename fails).
    """
    check_name(ds.name)
    if ds.name in BUILTIN:
        raise UserError(f"{ds.name!r} is the built-in dataset's name; choose another name")
    validate_dataset(ds, ds.name)
    root = store_dir(store)
    root.mkdir(parents=True, exist_ok=True)
    target = root / ds.name
    tmp = Path(tempfile.mkdtemp(prefix=f".{ds.name}.tmp-", dir=root))
    os.chmod(tmp, 0o755)  # mkdtemp makes it private; a dataset is ordinary user data
    try:
        _write_files(ds, tmp)
        for f in FILES:
            with open(tmp / f, "rb") as fh:
                os.fsync(fh.fileno())
        old = None
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{ds.name}.old-", dir=root))
            os.rmdir(old)
            os.replace(target, old)
        try:
            os.replace(tmp, target)
        except BaseException:
            if old is not None:
                os.replace(old, target)  # put the previous dataset back
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def delete_dataset(name: str, store=None) -> None:
    """Remove a dataset from the store (renamed aside first, so a crash never leaves half of it)."""
    target = store_dir(store) / check_name(name)
    if not target.is_dir():
        raise UserError(f"no dataset named {name!r} in {store_dir(store)}")
    aside = Path(tempfile.mkdtemp(prefix=f".{name}.del-", dir=target.parent))
    os.rmdir(aside)
    os.replace(target, aside)
    shutil.rmtree(aside, ignore_errors=True)
