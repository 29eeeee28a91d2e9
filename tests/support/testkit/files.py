"""A test's folder of input files, and a snapshot that shows whether a command wrote or replaced any of them.

``make_files(folder, {name: content})``: content is text, bytes, ``FIFO`` (a named pipe), ``DIR`` (an empty
folder) or ``Link(target)`` (a symlink to ``folder / target``). ``snapshot(folder)``: every entry under it with
its kind, size and modification time (links not followed), equal before and after a refused command.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass

FIFO, DIR = object(), object()


@dataclass(frozen=True)
class Link:
    target: str                    # relative to the folder


def make_files(folder, files: dict) -> None:
    for name, content in files.items():
        path = folder / name
        if content is FIFO:
            os.mkfifo(path)
        elif content is DIR:
            path.mkdir()
        elif isinstance(content, Link):
            path.symlink_to(folder / content.target)
        else:
            path.write_bytes(content if isinstance(content, bytes) else content.encode())


def snapshot(folder) -> dict:
    out = {}
    for root, dirs, names in os.walk(folder):
        for n in dirs + names:
            p = os.path.join(root, n)
            st = os.lstat(p)
            out[p] = (stat.S_IFMT(st.st_mode), st.st_size if stat.S_ISREG(st.st_mode) else 0, st.st_mtime_ns)
    return out
