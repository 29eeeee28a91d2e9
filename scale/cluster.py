"""Where a sweep runs: a cluster SPEC -> a ``dask.distributed.Client`` (or None: in this process).

SPEC forms (the ``--cluster`` option and the ``cluster`` config key):

- ``none`` (or no spec): in this process, no Dask at all.
- ``local``: a thread LocalCluster inside this process (one worker, one thread per core). The
  kernels release the GIL, so threads scale and the market arrays are shared, not copied.
- ``local-processes[:N]``: N worker processes (default: one per core), one thread each, for
  plugins whose hooks hold the GIL.
- ``tcp://HOST:PORT`` (or ``tls://``): an existing scheduler.
- any other text: a scheduler file written by ``dask scheduler --scheduler-file PATH``.

``open_cluster`` closes only what it opened: a Client the caller passes in stays open.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple
import logging
import os

from hedgelab.core.errors import UserError

CONNECT_TIMEOUT = "10s"   # an unreachable scheduler is an error within seconds, not a hang
SPEC_FORMS = "none, local, local-processes[:N], tcp://HOST:PORT or a scheduler-file path"


class ClusterSpec(NamedTuple):
    kind: str               # "none" | "local" | "local-processes" | "address" | "scheduler-file"
    workers: int = 0        # local-processes: number of worker processes
    target: str = ""        # address or scheduler-file path


def parse_spec(spec) -> ClusterSpec:
    """Text -> ClusterSpec; a malformed spec is a one-line UserError."""
    text = "" if spec is None else str(spec).strip()
    if text.lower() in ("", "none"):
        return ClusterSpec("none")
    if text.lower() == "local":
        return ClusterSpec("local", workers=1)
    if text.lower().startswith("local-processes"):
        rest = text[len("local-processes"):]
        if rest == "":
            return ClusterSpec("local-processes", workers=os.cpu_count() or 1)
        count = rest[1:] if rest.startswith(":") else None
        if count is None or not count.isdigit() or int(count) < 1:
            raise UserError(f"--cluster {text!r}: expected local-processes:N with N a whole number >= 1")
        return ClusterSpec("local-processes", workers=int(count))
    if "://" in text:
        scheme = text.split("://", 1)[0].lower()
        host_port = text.split("://", 1)[1]
        if scheme not in ("tcp", "tls") or ":" not in host_port or not host_port.rsplit(":", 1)[1].isdigit():
            raise UserError(f"--cluster {text!r}: a scheduler address is tcp://HOST:PORT")
        return ClusterSpec("address", target=text)
    if Path(text).expanduser().is_file():
        return ClusterSpec("scheduler-file", target=str(Path(text).expanduser()))
    raise UserError(f"--cluster {text!r}: not one of {SPEC_FORMS} (no scheduler file at that path)")


@contextmanager
def open_cluster(spec=None, client=None):
    """Context manager -> a Dask ``Client``, or None for in-process.

    ``client``: an existing Client, used as is and left open. Otherwise ``spec`` (see the module
    docstring) says what to start or connect to; what is started here is closed on exit.
    """
    if client is not None:
        yield client
        return
    parsed = parse_spec(spec)
    if parsed.kind == "none":
        yield None
        return
    opened = _connect(parsed, spec)
    try:
        yield opened
    finally:
        cluster = getattr(opened, "_hedgelab_cluster", None)
        opened.close()
        if cluster is not None:
            cluster.close()


def _connect(parsed: ClusterSpec, spec):
    from dask.distributed import Client, LocalCluster
    try:
        if parsed.kind == "local":
            cluster = LocalCluster(n_workers=1, processes=False, threads_per_worker=os.cpu_count() or 1,
                                   dashboard_address=None, silence_logs=logging.ERROR)
        elif parsed.kind == "local-processes":
            # the cores are shared by the processes: each kernel's prange gets its share, not all
            share = str(max(1, (os.cpu_count() or 1) // parsed.workers))
            cluster = LocalCluster(n_workers=parsed.workers, processes=True, threads_per_worker=1,
                                   dashboard_address=None, silence_logs=logging.ERROR,
                                   env={"NUMBA_NUM_THREADS": share})
        elif parsed.kind == "address":
            return Client(parsed.target, timeout=CONNECT_TIMEOUT)
        else:
            return Client(scheduler_file=parsed.target, timeout=CONNECT_TIMEOUT)
    except UserError:
        raise
    except Exception as exc:  # noqa: BLE001 -- OSError, TimeoutError, bad file: all one line for the user
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"--cluster {spec}: cannot reach the scheduler ({detail})") from None
    client = Client(cluster)
    client._hedgelab_cluster = cluster  # closed with the client by open_cluster
    return client


def worker_count(client) -> int:
    """Threads available for tasks (1 in-process: the kernel's own prange uses the cores there)."""
    if client is None:
        return 1
    return max(1, sum(client.nthreads().values()))
