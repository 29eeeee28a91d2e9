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

    A symbolic link to a folder stands for that folder: the results are published there (beside the
    link's target, so that the final rename stays on one file system), and the link keeps pointing
    at them. ``taken_ok``: a folder that was checked before the work and filled by another run since
    is not an error (``publish`` then picks a sibling)."""
    path = check_path_name(out, option, "folder")
    try:
        return _check(path, option, taken_ok)
    except ValueError as exc:  # a NUL byte or the like: no file system takes that name
        raise UserError(f"{option} {short(out)!r}: not a usable path ({exc})") from None
    except OSError as exc:   # what the name checks cannot foresee (a loop of links, a vanished mount)
        raise UserError(f"{option} {short(out)}: not usable ({exc.strerror or exc})") from None


# Bytes hedgelab adds to the last name of a path it writes: the temp name ``.NAME.out-PID-START`` and a
# sweep's ``NAME-rows`` (``core/tempdirs.py``); a name this much below the file system's limit fits all.
NAME_RESERVE = 40


def short(path: object, most: int = 60) -> str:
    """A path as an error line shows it: at most ``most`` characters, the length said when cut."""
    text = os.fspath(path) if isinstance(path, (str, os.PathLike)) else repr(path)
    text = text if isinstance(text, str) else os.fsdecode(text)
    return text if len(text) <= most else f"{text[:most - 3]}... ({len(text):,} characters)"


def check_path_name(path: object, option: str, what: str = "folder") -> Path:
    """``path`` as a Path if its name can be written by hedgelab on this file system: a str or a
    Path, not empty, naming a new entry (not ``.``, ``..`` or ``/``), no NUL byte, every name within
    the file system's limit (the last one also leaves room for hedgelab's temp names), the whole
    within the path limit. A one-line UserError otherwise, before any work."""
    if not isinstance(path, (str, os.PathLike)) or isinstance(os.fspath(path), bytes):
        raise UserError(f"{option} {short(path)}: expected a {what} path (a str or a pathlib.Path)")
    text = os.fspath(path)
    if not isinstance(text, str) or not text.strip():
        raise UserError(f"{option} {text!r}: empty; give a {what} name, e.g. ./out")
    if "\0" in text:
        raise UserError(f"{option} {short(text)!r}: not a usable path (it holds a NUL byte)")
    p = Path(text)
    if p.name in ("", ".", ".."):
        raise UserError(f"{option} {short(text)}: names no new {what} (give one such as {Path(text) / 'out'})")
    above = p.absolute()
    while not _exists(above) and above != above.parent:
        above = above.parent
    try:
        name_max = os.pathconf(above, "PC_NAME_MAX")
        path_max = os.pathconf(above, "PC_PATH_MAX")
    except (OSError, ValueError):
        name_max, path_max = 255, 4096
    for k, part in enumerate(p.parts):
        limit = name_max - NAME_RESERVE if k == len(p.parts) - 1 else name_max
        size = len(os.fsencode(part))
        if size > limit:
            reason = (f"at most {limit} (the file system's {name_max} less {NAME_RESERVE} for hedgelab's temp names)"
                      if k == len(p.parts) - 1 else f"the file system takes at most {name_max}")
            raise UserError(f"{option} {short(text)}: {short(part, 24)!r} is a name of {size} bytes; {reason}")
    size = len(os.fsencode(str(p.absolute())))
    if size > path_max - NAME_RESERVE:
        raise UserError(f"{option} {short(text)}: the path is {size} bytes long; at most {path_max - NAME_RESERVE}")
    return p


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):   # a name too long to look up is no entry
        return False


def _check(out: Path, option: str, taken_ok: bool) -> Path:
    if out.is_symlink():   # the folder it points to (results go there; the link keeps pointing at them)
        target = out.resolve()
        if not target.exists():
            raise UserError(f"{option} {out}: a symbolic link to {target}, which does not exist; give a folder")
        if not target.is_dir():
            raise UserError(f"{option} {out}: a symbolic link to the file {target}; give a folder")
        out = target
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
