"""A real Dask cluster on this machine: ``dask scheduler`` and ``dask worker`` as separate processes.

What an existing cluster looks like to hedgelab (``--cluster tcp://...`` or a scheduler file), for
the determinism tests and ``benchmarks/bench_scale.py``. Every process started here is stopped on
exit, also when the body raises.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

STARTUP_SECONDS = 60


class Processes(NamedTuple):
    scheduler_file: Path
    address: str
    scheduler: subprocess.Popen
    workers: list            # Popen per worker process


@contextmanager
def scheduler_and_workers(n_workers: int = 2, *, threads: int = 1, nanny: bool = True, env=None):
    """Start a scheduler on 127.0.0.1 (random port) and ``n_workers`` worker processes.

    ``nanny=False``: a worker process that dies stays dead (a lost machine), instead of being
    restarted by its nanny. ``env``: extra environment for the processes (e.g. NUMBA_CACHE_DIR).
    The processes run with cwd in a temp folder, so they import the installed hedgelab.
    """
    folder = Path(tempfile.mkdtemp(prefix="hedgelab-dask-"))
    sched_file = folder / "scheduler.json"
    environ = dict(os.environ, **(env or {}))
    dask = [sys.executable, "-m", "dask"]
    started = []
    try:
        scheduler = _start(dask + ["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                   "--scheduler-file", str(sched_file)], folder, environ, "scheduler")
        started.append(scheduler)
        _wait_for(lambda: sched_file.is_file() and sched_file.stat().st_size > 0, scheduler, "scheduler")
        address = json.loads(sched_file.read_text())["address"]
        # workers on one machine share its cores: each kernel's prange gets its share, not all of them
        worker_env = dict({"NUMBA_NUM_THREADS": str(max(1, (os.cpu_count() or 1) // (n_workers * threads)))},
                          **environ) if "NUMBA_NUM_THREADS" not in (env or {}) else environ
        workers = []
        for k in range(n_workers):
            args = dask + ["worker", address, "--nthreads", str(threads), "--no-dashboard",
                           "--name", f"w{k}", "--nanny" if nanny else "--no-nanny"]
            workers.append(_start(args, folder, worker_env, f"worker-{k}"))
            started.append(workers[-1])
        _wait_for_workers(address, n_workers, started)
        yield Processes(sched_file, address, scheduler, workers)
    finally:
        for proc in reversed(started):
            _stop(proc)
        for log in folder.glob("*"):
            log.unlink(missing_ok=True)
        folder.rmdir()


def _start(args, folder, environ, name):
    log = open(folder / f"{name}.log", "wb")
    # its own process group: stopping it also stops a nanny's worker child
    return subprocess.Popen(args, cwd=folder, env=environ, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def _wait_for(ready, proc, name):
    deadline = time.monotonic() + STARTUP_SECONDS
    while not ready():
        if proc.poll() is not None:
            raise RuntimeError(f"dask {name} exited with code {proc.returncode} while starting")
        if time.monotonic() > deadline:
            raise RuntimeError(f"dask {name} did not start within {STARTUP_SECONDS} s")
        time.sleep(0.05)


def _wait_for_workers(address, n, procs):
    from dask.distributed import Client
    with Client(address, timeout="30s") as client:
        deadline = time.monotonic() + STARTUP_SECONDS
        while len(client.scheduler_info(n_workers=-1)["workers"]) < n:
            dead = [p for p in procs if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                raise RuntimeError(f"only {len(client.scheduler_info(n_workers=-1)['workers'])} of {n} dask "
                                   f"workers started")
            time.sleep(0.05)


def _stop(proc):
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
