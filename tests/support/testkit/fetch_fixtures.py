"""Fixtures shared by the fetch tests (imported by them; the folder's conftest belongs to the store tests).

``fx`` is a running FakeExchange; every test that uses it also runs with outbound connections other
than 127.0.0.1 refused, so a URL that escaped the override fails loudly instead of reaching the internet.
"""
import socket

import pandas as pd
import pytest

import hedgelab.cli.fetch  # noqa: E402,F401  (registers ``data fetch`` until the lead adds it to _register)
from testkit.fake_exchange import HOUR, FakeExchange  # noqa: E402


def ms(text: str) -> int:
    return int(pd.Timestamp(text, tz="UTC").value // 1_000_000)


@pytest.fixture
def no_network(monkeypatch):
    real_connect = socket.socket.connect

    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in ("127.0.0.1", "::1"):
            raise OSError(f"test tried to reach {address!r}: only 127.0.0.1 is allowed")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def fx(no_network):
    with FakeExchange() as server:
        yield server


class Sleeps(list):
    """Stands in for time.sleep: records the backoff delays instead of waiting."""

    def __call__(self, seconds):
        self.append(seconds)


__all__ = ["HOUR", "ms", "no_network", "fx", "Sleeps"]
