"""One random stream per path, from the root seed and the path id alone.

``SeedSequence(root, spawn_key=(path_id,))`` is the stream ``SeedSequence(root).spawn(n)[path_id]``
without spawning the first ``path_id`` children: a path's numbers never depend on which chunk, worker
or order it was generated in, so any chunking gives bitwise the same paths.
"""
import numpy as np

from hedgelab.core.errors import UserError


def check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise UserError(f"--seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def rng_for(root: int, path_id: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(int(root), spawn_key=(int(path_id),)))
