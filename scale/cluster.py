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

Connecting never hangs: a tcp:// address must accept within CONNECT_SECONDS and send a Dask handshake
within HANDSHAKE_SECONDS (an HTTP server on the port is named as such in ~5 s), the whole connection is
guarded by GUARD_SECONDS, and a scheduler must have a worker within WORKER_SECONDS (one with none is an
error in ~10 s, naming the address, instead of a sweep that waits forever).
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple
import logging
import os

from hedgelab.core.errors import UserError

CONNECT_TIMEOUT = "10s"   # an unreachable scheduler is an error within seconds, not a hang
CONNECT_SECONDS = 10.0
# Dask's connect timeout covers the TCP connection, not the handshake read after it: a server that
# accepts and never speaks (an HTTP server on that port) kept ``Client`` waiting forever. A Dask
# scheduler writes its handshake as soon as it accepts, so a tcp:// address is probed first.
HANDSHAKE_SECONDS = 5.0
MAX_HANDSHAKE_BYTES = 10_000_000   # a scheduler's handshake is a few hundred bytes
# A scheduler with no workers accepted the sweep's tasks and waited forever for one to join.
WORKER_SECONDS = 10.0
# A last guard around the whole connection (tls:// is not probed): never longer than this.
GUARD_SECONDS = CONNECT_SECONDS + HANDSHAKE_SECONDS + 10.0
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
        if not 0 < int(host_port.rsplit(":", 1)[1][:6]) <= 65535:
            raise UserError(f"--cluster {text!r}: the port must be 1 to 65535")
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
        else:
            target = parsed.target if parsed.kind == "address" else _scheduler_file_address(parsed.target, spec)
            _probe(target, spec)
            client = _guarded(lambda: Client(target, timeout=CONNECT_TIMEOUT), spec, target)
            _wait_for_workers(client, spec, target)
            return client
    except UserError:
        raise
    except Exception as exc:  # noqa: BLE001 -- OSError, TimeoutError, bad file: all one line for the user
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"--cluster {spec}: cannot reach the scheduler ({detail[:200]})") from None
    client = Client(cluster)
    client._hedgelab_cluster = cluster  # closed with the client by open_cluster
    return client


def _scheduler_file_address(path: str, spec) -> str:
    """The address in a scheduler file (``dask scheduler --scheduler-file``): a regular JSON file
    of at most 1 MB holding ``{"address": "tcp://..."}``."""
    import json

    from hedgelab.core.reading import read_text
    text = read_text(path, "scheduler file", option="--cluster", max_bytes=1_000_000)
    try:
        info = json.loads(text)
    except (ValueError, RecursionError):
        raise UserError(f"--cluster {spec}: the scheduler file is not JSON (dask scheduler --scheduler-file "
                        "writes one)") from None
    address = info.get("address") if isinstance(info, dict) else None
    if not isinstance(address, str) or "://" not in address:
        raise UserError(f"--cluster {spec}: the scheduler file has no \"address\" (tcp://HOST:PORT)")
    return address


def _probe(target: str, spec) -> None:
    """A tcp:// address answers as a Dask scheduler within seconds, or one line says what it is not."""
    import socket
    import struct

    from distributed.comm.addressing import parse_address, parse_host_port
    try:
        scheme, loc = parse_address(target)
        host, port = parse_host_port(loc)
    except (ValueError, TypeError) as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else "bad address"
        raise UserError(f"--cluster {spec}: cannot reach the scheduler ({detail[:200]})") from None
    if scheme != "tcp":
        return
    try:
        sock = socket.create_connection((host, int(port)), timeout=CONNECT_SECONDS)
    except TimeoutError:
        raise UserError(f"--cluster {spec}: cannot reach the scheduler at {target} (no connection within "
                        f"{CONNECT_SECONDS:g} s)") from None
    except (OSError, OverflowError) as exc:
        raise UserError(f"--cluster {spec}: cannot reach the scheduler at {target} "
                        f"({getattr(exc, 'strerror', None) or str(exc)[:200] or type(exc).__name__})") from None
    with sock:
        sock.settimeout(HANDSHAKE_SECONDS)
        head = b""
        try:
            while len(head) < 8:
                chunk = sock.recv(8 - len(head))
                if not chunk:
                    break
                head += chunk
        except TimeoutError:
            raise UserError(f"--cluster {spec}: no Dask scheduler answers at {target} (it accepted the connection "
                            f"but sent nothing within {HANDSHAKE_SECONDS:g} s: another kind of server?)") from None
        except OSError as exc:
            raise UserError(f"--cluster {spec}: cannot reach the scheduler at {target} "
                            f"({exc.strerror or type(exc).__name__})") from None
    size = struct.unpack("<Q", head)[0] if len(head) == 8 else 0
    if not 0 < size <= MAX_HANDSHAKE_BYTES:
        raise UserError(f"--cluster {spec}: {target} is not a Dask scheduler (its first bytes are not a Dask "
                        "message)")


def _guarded(make, spec, target):
    """``make()`` within GUARD_SECONDS, else one line (the stuck attempt is left to a daemon thread)."""
    import threading
    box: dict = {}

    def run():
        try:
            box["value"] = make()
        except BaseException as exc:  # noqa: BLE001 -- handed to the caller's thread
            box["error"] = exc
    thread = threading.Thread(target=run, name="hedgelab-cluster-connect", daemon=True)
    thread.start()
    thread.join(GUARD_SECONDS)
    if thread.is_alive():
        raise UserError(f"--cluster {spec}: no answer from the scheduler at {target} within {GUARD_SECONDS:g} s")
    if "error" in box:
        raise box["error"]
    return box["value"]


def _wait_for_workers(client, spec, target) -> None:
    """At least one worker within WORKER_SECONDS, or the client is closed and one line says so."""
    try:
        client.wait_for_workers(1, timeout=WORKER_SECONDS)
    except Exception:  # noqa: BLE001 -- a TimeoutError (dask's or asyncio's), or the scheduler went away
        client.close()
        raise UserError(f"--cluster {spec}: the scheduler at {target} has no workers (none joined within "
                        f"{WORKER_SECONDS:g} s); start one with: dask worker {target}") from None


def worker_count(client) -> int:
    """Threads available for tasks (1 in-process: the kernel's own prange uses the cores there)."""
    if client is None:
        return 1
    return max(1, sum(client.nthreads().values()))
