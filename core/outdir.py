"""The output folder of a run: checked before the work starts, published atomically after it.

Before: ``--out`` must be new or an empty folder, the nearest existing folder above it writable
(not a file), and no other live hedgelab run writing into it. After: the files are in this
process's temp folder ``.OUT.out-<pid>-<start>`` beside ``--out`` and one rename publishes them;
when another run filled ``--out`` meanwhile, the results go to the first free sibling ``OUT-2``,
``OUT-3``... instead of being lost. Temp folders of killed runs are deleted by the next run that
writes beside them.
"""
from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

from hedgelab.core import tempdirs as _tempdirs
from hedgelab.core.errors import UserError

KIND = "out"
MAX_SIBLINGS = 100


def sweep_dead(parent: Path) -> None:
    """Delete the output temp folders in ``parent`` whose run was killed."""
    for path, _, _ in _tempdirs.orphans(parent, kinds=(KIND,)):
        shutil.rmtree(path, ignore_errors=True)


def check_out_dir(out: str | os.PathLike[str], option: str = "--out", taken_ok: bool = False) -> Path:
    """``out`` as a Path if a run can write it; else a one-line UserError saying why.

    ``taken_ok``: a folder that was checked before the work and filled by another run since is not
    an error (``publish`` then picks a sibling)."""
    try:
        return _check(Path(out), option, taken_ok)
    except ValueError as exc:  # a NUL byte or the like: no file system takes that name
        raise UserError(f"{option} {str(out)!r}: not a usable path ({exc})") from None


def _check(out: Path, option: str, taken_ok: bool) -> Path:
    if out.parent.is_dir():
        sweep_dead(out.parent)  # every later command cleans up after a killed run, even one that fails
    if out.exists() or out.is_symlink():
        if not out.is_dir():
            raise UserError(f"{option} {out}: a file of that name exists; give a folder")
        if any(out.iterdir()) and not taken_ok:
            raise UserError(f"{option} {out} already exists and is not empty; results are never written over")
    check_writable(out, option)
    if out.parent.is_dir() and not taken_ok:
        others = _tempdirs.live_writers(out.parent, out.name, KIND)
        if others:
            raise UserError(f"{option} {out}: another hedgelab run (pid {others[0]}) is writing there now; "
                            "choose another --out")
    return out


def check_writable(folder: str | os.PathLike[str], option: str) -> None:
    """A folder can be made or written at ``folder``: its nearest existing ancestor is a folder
    that takes a new entry (tried: os.access says yes to root even on read-only file systems)."""
    folder = Path(folder)
    above = folder.absolute()
    while not above.exists():
        above = above.parent
    if not above.is_dir():
        raise UserError(f"{option} {folder}: {above} is a file, so no folder can be made under it")
    probe = above / _tempdirs.temp_name(folder.name or "out", "probe")
    try:
        os.mkdir(probe)
        os.rmdir(probe)
    except OSError as exc:
        raise UserError(f"{option} {folder}: cannot write in {above} ({exc.strerror})") from None


def make_temp(out: Path) -> Path:
    """This process's temp folder beside ``out`` (parents created)."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        sweep_dead(out.parent)
        return _tempdirs.make_temp(out.parent, out.name, KIND)
    except OSError as exc:  # the place changed since check_out_dir
        raise UserError(f"--out {out}: cannot write beside it ({exc.strerror})") from None


def publish(tmp: Path, out: Path) -> Path:
    """Rename the finished ``tmp`` to ``out``, or to the first free sibling if ``out`` got filled."""
    for k in range(1, MAX_SIBLINGS + 1):
        target = out if k == 1 else out.with_name(f"{out.name}-{k}")
        if target.is_dir() and not target.is_symlink():
            try:
                target.rmdir()  # an empty folder is ours to fill; a full one raises and is skipped
            except OSError:
                continue
        elif target.exists() or target.is_symlink():
            continue
        try:
            os.rename(tmp, target)
            return target
        except OSError as exc:  # filled between the check and the rename by another run
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR, errno.EISDIR):
                raise UserError(f"--out {target}: cannot create it ({exc.strerror})") from None
    raise UserError(f"--out {out}: it and {MAX_SIBLINGS - 1} siblings are taken; results left in {tmp}")
