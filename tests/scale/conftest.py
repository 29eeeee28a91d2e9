"""A real scheduler and two worker processes on localhost, shared by the tests of one module."""
import os

import pytest

from hedgelab.scale.localhost import scheduler_and_workers


@pytest.fixture(scope="module")
def real_cluster():
    """``dask scheduler`` + 2 ``dask worker`` processes (1 thread each); stopped after the module."""
    env = {"NUMBA_CACHE_DIR": os.environ["NUMBA_CACHE_DIR"]} if "NUMBA_CACHE_DIR" in os.environ else {}
    with scheduler_and_workers(2, env=env) as procs:
        yield procs
