"""Large work buffers that are mostly never written: their pages exist only where something is written.

NumPy asks the kernel for transparent huge pages on large arrays, so the first write into each 2 MB of a
buffer zeroes all of it. An event buffer sized for the worst case, of which each column writes only its
first part, then costs the zeroing of nearly the whole buffer on every call (measured: a 4-coin basket
sweep of 256 event rows spent about 0.5 s of 1.7 s there). Mapped without huge pages, only the 4 KB
pages written are made.
"""
from __future__ import annotations

import mmap

import numpy as np


def sparse_empty(shape: tuple | int, dtype: np.dtype) -> np.ndarray:
    """An uninitialized C-contiguous array (as ``np.empty``) backed by an anonymous mapping that asks for
    no huge pages; it is unmapped when the array (and every view of it) is gone."""
    shape = (shape,) if isinstance(shape, int) else tuple(int(s) for s in shape)
    dt = np.dtype(dtype)
    count = int(np.prod(shape)) if shape else 1
    nbytes = max(count * dt.itemsize, 1)
    buf = mmap.mmap(-1, nbytes)
    if hasattr(mmap, "MADV_NOHUGEPAGE"):
        buf.madvise(mmap.MADV_NOHUGEPAGE)
    return np.frombuffer(buf, dtype=dt, count=count).reshape(shape)
