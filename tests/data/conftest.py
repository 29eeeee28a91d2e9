"""Small hand-made inputs for the data-layer tests (real files come from the ``shared_dir`` fixture)."""
import numpy as np
import pandas as pd
import pytest

from hedgelab.data.dataset import INDEX, MARK, TRADED, Dataset, empty_funding, empty_iv, new_manifest


@pytest.fixture
def write_csv(tmp_path):
    """write_csv(name, lines) -> path of a CSV holding those lines."""
    def write(name: str, lines: list[str]):
        path = tmp_path / name
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path
    return write


@pytest.fixture
def store(tmp_path):
    return tmp_path / "store"


def make_dataset(name: str = "tiny", n: int = 48, step: str = "1h", funding=None, iv=None,
                 iv_fill=None) -> Dataset:
    """A valid in-memory dataset on a regular grid: open = 100 + i, high = open + 2, low = open - 1,
    close = open + 1, volume 10; mark and index equal to the traded OHLC."""
    idx = pd.date_range("2025-01-01", periods=n, freq=step, tz="UTC", name="time")
    o = 100.0 + np.arange(n)
    bars = pd.DataFrame({"open": o, "high": o + 2, "low": o - 1, "close": o + 1, "volume": 10.0}, index=idx)
    for cols in (MARK, INDEX):
        for c, base in zip(cols, TRADED):
            bars[c] = bars[base]
    manifest = new_manifest(name, kind="imported", venue="test", symbol="BTC", bars=bars, bar_size=step,
                            funding_interval_hours=8, provenance={}, proxies={}, iv_fill=iv_fill)
    return Dataset(name, bars, funding if funding is not None else empty_funding(),
                   iv if iv is not None else empty_iv(), manifest)


@pytest.fixture
def dataset_factory():
    return make_dataset
