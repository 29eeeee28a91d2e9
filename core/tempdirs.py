"""Temp folders (and files) that say who owns them, so a later command can clean up after a killed one.

A temp folder is named ``.<stem>.<kind>-<pid>-<start>`` where ``start`` is the owning process's
start time (clock ticks since boot on Linux, from /proc; 0 where that is unknown). A pid alone is
not enough: pids are reused, and a folder of a dead process must not be kept alive by a stranger
that got the same pid. ``orphans`` lists the folders whose owner is gone; the caller decides what
to do with each (an output temp folder is deleted, a store's old copy may be restored).
"""
from __future__ import annotations

from collections.abc import Collection
import os
import re
from pathlib import Path

_NAME = re.compile(r"^\.(?P<stem>.+)\.(?P<kind>[a-z]+)-(?P<pid>\d+)-(?P<start>\d+)$")


def _start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (Linux), 0 if unknown, None if no process."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except FileNotFoundError:
        return None
    except OSError:
        return 0
    # field 22; the command name (field 2) may hold spaces and parentheses, so split after its ')'
    return int(stat.rsplit(b")", 1)[1].split()[19])


def owner_tag(pid: int | None = None) -> str:
    """``<pid>-<start>`` of this process (or ``pid``)."""
    pid = os.getpid() if pid is None else pid
    return f"{pid}-{_start_time(pid) or 0}"


def alive(pid: int, start: int) -> bool:
    """Whether the process that made a folder tagged ``pid-start`` still runs."""
    if os.path.isdir("/proc/self"):
        now = _start_time(pid)
        return now is not None and (0 in (start, now) or now == start)
    try:  # no /proc (macOS, Windows): the pid alone
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def temp_name(stem: str, kind: str) -> str:
    """The hidden name of this process's ``kind`` folder for ``stem`` (e.g. ``.mydata.tmp-812-4410``)."""
    return f".{stem}.{kind}-{owner_tag()}"


def make_temp(parent: Path, stem: str, kind: str = "tmp") -> Path:
    """Create this process's temp folder beside the target (fails if it exists: one per process)."""
    path = Path(parent) / temp_name(stem, kind)
    os.mkdir(path)
    return path


def parse(name: str) -> tuple[str, str, int, int] | None:
    """(stem, kind, pid, start) of a temp folder name, or None for any other name."""
    m = _NAME.match(name)
    if m is None:
        return None
    return m["stem"], m["kind"], int(m["pid"]), int(m["start"])


def orphans(parent: Path, kinds: Collection[str] | None = None) -> list[tuple[Path, str, str]]:
    """(path, stem, kind) of the temp folders in ``parent`` whose owning process is gone."""
    out: list[tuple[Path, str, str]] = []
    try:
        entries = list(Path(parent).iterdir())
    except OSError:
        return out
    for p in entries:
        info = parse(p.name)
        if info is None or (kinds is not None and info[1] not in kinds):
            continue
        stem, kind, pid, start = info
        if not alive(pid, start):
            out.append((p, stem, kind))
    return out


def live_writers(parent: Path, stem: str, kind: str = "tmp") -> list[int]:
    """Pids of other live processes with a ``kind`` folder for ``stem`` in ``parent``."""
    pids: list[int] = []
    try:
        entries = list(Path(parent).iterdir())
    except OSError:
        return pids
    for p in entries:
        info = parse(p.name)
        if info and info[0] == stem and info[1] == kind and info[2] != os.getpid() and alive(info[2], info[3]):
            pids.append(info[2])
    return pids
