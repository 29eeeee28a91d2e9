"""open_cluster: the spec forms, what it closes, and one-line errors; map_chunks keeps item order."""
import os

import pytest
from dask.distributed import Client, LocalCluster

from hedgelab.core.errors import UserError
from hedgelab.scale import map_chunks, open_cluster, parse_spec
from testkit import scale_tasks as tasks


@pytest.mark.parametrize("text, kind, workers", [
    (None, "none", 0), ("none", "none", 0), ("", "none", 0), ("local", "local", 1),
    ("local-processes:3", "local-processes", 3), ("local-processes", "local-processes", os.cpu_count()),
    ("tcp://127.0.0.1:8786", "address", 0),
])
def test_spec_forms(text, kind, workers):
    spec = parse_spec(text)
    assert (spec.kind, spec.workers) == (kind, workers)


@pytest.mark.parametrize("text", ["local-processes:0", "local-processes:x", "tcp://nohost", "ray://x:1",
                                  "/no/such/scheduler.json"])
def test_bad_spec_is_one_line(text):
    with pytest.raises(UserError) as err:
        parse_spec(text)
    assert "\n" not in str(err.value) and text in str(err.value)


def test_unreachable_scheduler_is_a_user_error(monkeypatch):
    import socket
    from hedgelab.scale import cluster
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", "1s")
    with socket.socket() as s:          # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(UserError, match="cannot reach the scheduler"):
        with open_cluster(f"tcp://127.0.0.1:{port}"):
            pass


def test_none_runs_in_process():
    with open_cluster(None) as client:
        assert client is None
        assert list(map_chunks(tasks.pid, range(3), progress=False)) == [os.getpid()] * 3


def test_local_is_threads_in_this_process_and_closed_after():
    with open_cluster("local") as client:
        assert list(map_chunks(tasks.pid, range(4), client=client, progress=False)) == [os.getpid()] * 4
        assert sum(client.nthreads().values()) == os.cpu_count()
    assert client.status == "closed"


def test_user_client_is_left_open():
    with LocalCluster(n_workers=1, processes=False, threads_per_worker=2, dashboard_address=None) as cluster, \
            Client(cluster) as mine:
        with open_cluster("local-processes:9", client=mine) as client:
            assert client is mine
        assert mine.status == "running"


def test_results_in_item_order_not_completion_order():
    # the first items sleep longest, so they finish last on two threads
    items = [(k, 0.2 if k < 2 else 0.0) for k in range(8)]
    with open_cluster("local") as client:
        got = list(map_chunks(tasks.square_after, items, client=client, progress=False))
    assert got == [k * k for k in range(8)]


def test_task_error_reaches_the_caller():
    with open_cluster("local") as client:
        with pytest.raises(ValueError, match="item 3 is bad"):
            list(map_chunks(tasks.fail_on, range(6), client=client, progress=False))
