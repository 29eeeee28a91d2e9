"""Reading the files a user names, so that none can block, exhaust memory or end in a traceback.

- Regular files only: a FIFO (reading one waits for a writer forever), a device such as /dev/zero
  (endless), a folder or a socket is refused before it is read, in one line naming the file and the
  option it came from. The file is opened without blocking and checked again once open, so a path
  swapped for a FIFO between the check and the open cannot block either.
- A size limit checked before reading (and enforced while reading: a file that grows is cut at the
  limit and refused, never read whole).
- Text is UTF-8 (a byte-order mark is skipped); anything else is one line naming the byte.
- TOML: parsed with ``tomllib``, its nesting limited to ``max_depth`` levels of tables and arrays.
  Deep nesting made ``tomllib`` (and every recursive check after it) raise RecursionError; dotted
  keys (``a.b.c...``) nest without recursion in the parser, so the depth is measured after parsing too.

API (every error is a ``UserError`` whose message starts with ``{what} {path}`` and names the option):

    read_toml(path, what, *, option=None, max_bytes=MAX_TOML_BYTES, max_depth=MAX_TOML_DEPTH) -> dict
    read_text(path, what, *, option=None, max_bytes) -> str
    read_bytes(path, what, *, option=None, max_bytes) -> bytes
    open_regular(path, what, *, option=None, max_bytes=None) -> binary file object (caller closes it)
    check_depth(value, where, max_depth=MAX_TOML_DEPTH) -> None

``what`` says what the file is for ("venue file", "costs file", "config file"; "" for a data file,
whose path alone starts the message); ``option`` is the flag or argument it came from ("--venue").
"""
from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path
from typing import BinaryIO, Iterable, Union

from hedgelab.core.errors import UserError

# A TOML file a user writes (config, venue, costs) is a few KB; the largest built-in venue file is
# 2.3 KB. 1 MB leaves room for hundreds of dated tier tables and refuses a runaway file before it is read.
MAX_TOML_BYTES = 1_000_000
# Tables and arrays nested deeper than this are no config: the deepest built-in use is 3
# (tiers -> table -> list). tomllib itself recurses once per level and fails near 1000.
MAX_TOML_DEPTH = 32

PathLike = Union[str, os.PathLike, None]   # None or '' is refused with one line

_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _where(path: object, what: str, option: str | None) -> str:
    head = f"{what} {path}" if what else str(path)
    return f"{head} ({option})" if option else head


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def open_regular(path: PathLike, what: str, *, option: str | None = None, max_bytes: int | None = None) -> BinaryIO:
    """The file opened for binary reading, after checking it is a regular file within ``max_bytes``."""
    if path is None or not str(path).strip():
        raise UserError(f"{what or 'file'} ({option or 'path'}): no file given (an empty path)")
    path = Path(str(path)).expanduser()
    where = _where(path, what, option)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise UserError(f"{where}: file not found") from None
    except OSError as exc:  # no permission on a folder on the way, a name too long, a loop of links
        raise UserError(f"{where}: {exc.strerror or type(exc).__name__}") from None
    except ValueError:      # a NUL byte in the path
        raise UserError(f"{where}: not a valid file path") from None
    if not stat.S_ISREG(st.st_mode):
        raise UserError(f"{where}: is {_kind(st.st_mode)}, not a regular file; give the path of a file")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise UserError(f"{where}: {exc.strerror or type(exc).__name__}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):   # swapped after the check above
            raise UserError(f"{where}: is {_kind(st.st_mode)}, not a regular file; give the path of a file")
        if max_bytes is not None and st.st_size > max_bytes:
            raise UserError(f"{where}: {_size(st.st_size)} is above the limit of {_size(max_bytes)} for this file")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _size(n: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n} bytes"


def read_bytes(path: PathLike, what: str, *, max_bytes: int, option: str | None = None) -> bytes:
    """The whole file, refused if it is not regular or holds more than ``max_bytes`` (checked before
    reading, and again while reading, so a file that grows meanwhile is not read whole)."""
    with open_regular(path, what, option=option, max_bytes=max_bytes) as fh:
        try:
            data = fh.read(max_bytes + 1)
        except OSError as exc:
            raise UserError(f"{_where(Path(str(path)).expanduser(), what, option)}: "
                            f"{exc.strerror or type(exc).__name__}") from None
    if len(data) > max_bytes:
        raise UserError(f"{_where(Path(str(path)).expanduser(), what, option)}: above the limit of "
                        f"{_size(max_bytes)} for this file")
    return data


def read_text(path: PathLike, what: str, *, max_bytes: int, option: str | None = None) -> str:
    """The file as UTF-8 text (a leading byte-order mark dropped); other bytes are one line naming the first."""
    data = read_bytes(path, what, max_bytes=max_bytes, option=option)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError(f"{_where(Path(str(path)).expanduser(), what, option)}: not UTF-8 text (byte {exc.start}); "
                        "save the file as UTF-8") from None


def check_depth(value: object, where: str, max_depth: int = MAX_TOML_DEPTH) -> None:
    """Tables and arrays nested at most ``max_depth`` levels (measured without recursion)."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Iterable[object] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth >= max_depth:
            raise UserError(f"{where}: tables and arrays nested more than {max_depth} levels deep; "
                            "a hedgelab file needs a few")
        stack.extend((c, depth + 1) for c in children)


def parse_toml(text: str, where: str, *, max_depth: int = MAX_TOML_DEPTH) -> dict:
    """TOML text -> dict; a syntax error, deep nesting or an oversized number is one line naming ``where``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{where}: invalid TOML: {exc}") from None
    except RecursionError:
        raise UserError(f"{where}: tables and arrays nested more than {max_depth} levels deep; "
                        "a hedgelab file needs a few") from None
    except ValueError as exc:   # e.g. an integer of more than 4,300 digits (Python's conversion limit)
        first = (str(exc).splitlines() or ["a value that cannot be read"])[0].split(";")[0]
        raise UserError(f"{where}: invalid TOML: {first}") from None
    check_depth(data, where, max_depth)
    return data


def read_toml(path: PathLike, what: str, *, option: str | None = None, max_bytes: int = MAX_TOML_BYTES,
              max_depth: int = MAX_TOML_DEPTH) -> dict:
    """A TOML file a user wrote, as a dict: a regular UTF-8 file of at most ``max_bytes``, nested at
    most ``max_depth`` levels. Every problem is one ``UserError`` starting with ``{what} {path}``."""
    text = read_text(path, what, max_bytes=max_bytes, option=option)
    return parse_toml(text, _where(Path(str(path)).expanduser(), what, option), max_depth=max_depth)
