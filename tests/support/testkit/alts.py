"""The real alt-coin files of ../shared/data/crisis-2025-alts (and BTC spot from crisis-2025) as
MarketArrays on one grid, for tests only (the files are test data, not shipped: SOURCES.md there).

Binance USDⓈ-M perp bars are the traded and the mark price (no mark series in the files: a proxy the
tests state); the index is Binance spot 1h where the folder has it (ETH, SOL, XRP, BNB on 1h bars),
else the perp; funding from the 8h files where they exist (ETH, SOL; BTC's official Binance file), else none. BTC has no perp file
for the window: its spot 1h stands for traded, mark and index."""
from pathlib import Path

import numpy as np
import pandas as pd

from hedgelab.data.arrays import MarketArrays

SHARED = (Path(__file__).resolve().parents[3] / ".." / "shared" / "data").resolve()
ALTS = SHARED / "crisis-2025-alts"
BTC_SPOT = SHARED / "crisis-2025" / "binance_btcusdt_spot_1h_2025-09-01_2025-12-15.csv"
BTC_FUNDING = SHARED / "crisis-2025" / "binance_btcusdt_funding_8h_official_flatfile_2025-09_2025-12_cheneau.csv"


def _bars(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path)
    df.index = pd.DatetimeIndex(pd.to_datetime(df["open_time_utc"], utc=True), name="time")
    return df[["open", "high", "low", "close", "volume"]].astype("float64")


def _btc_spot() -> pd.DataFrame:
    df = pd.read_csv(BTC_SPOT).rename(columns={"volume_btc": "volume"})
    df.index = pd.DatetimeIndex(pd.to_datetime(df["open_time_utc"], utc=True), name="time")
    return df[["open", "high", "low", "close", "volume"]].astype("float64")


def coin_bars(coin: str, bar: str = "1h") -> pd.DataFrame:
    if coin == "BTC":
        if bar != "1h":
            raise ValueError("BTC has only spot 1h bars for the window")
        return _btc_spot()
    return _bars(ALTS / f"binance_perp_{coin}USDT_{bar}.csv")


def markets(coins, *, bar: str = "1h", start=None, end=None, funding: bool = True) -> dict:
    """{coin: MarketArrays} on the common grid of the coins' files within [start, end]."""
    frames = {c: coin_bars(c, bar) for c in coins}
    grid = None
    for f in frames.values():
        grid = f.index if grid is None else grid.intersection(f.index)
    if start is not None:
        grid = grid[grid >= pd.Timestamp(start, tz="UTC")]
    if end is not None:
        grid = grid[grid <= pd.Timestamp(end, tz="UTC")]
    out = {}
    for coin, f in frames.items():
        f = f.loc[grid]
        spot_path = ALTS / f"binance_spot_{coin}USDT_1h.csv"
        index = f if bar != "1h" or not spot_path.exists() else _bars(spot_path).reindex(grid)
        rate = np.full(len(grid), np.nan)
        fpath = BTC_FUNDING if coin == "BTC" else ALTS / f"binance_perp_{coin}USDT_funding_8h.csv"
        if funding and fpath.exists():
            fr = pd.read_csv(fpath).rename(columns={"last_funding_rate": "funding_rate"})
            when = pd.DatetimeIndex(pd.to_datetime(fr["calc_time_utc"], utc=True)).floor(pd.Timedelta(bar))
            settled = pd.Series(fr["funding_rate"].to_numpy(float), index=when)
            settled = settled[~settled.index.duplicated()]
            rate = settled.reindex(grid).to_numpy()
        price = [f[c].to_numpy() for c in ("open", "high", "low", "close")]
        idx = [index[c].to_numpy() for c in ("open", "high", "low", "close")]
        step = int((grid[1] - grid[0]).total_seconds())
        out[coin] = MarketArrays(grid.as_unit("ns").asi8.astype(np.int64), step, *price, f["volume"].to_numpy(), *price, *idx,
                                 rate, np.where(np.isnan(rate), np.nan, price[0]), np.full(len(grid), np.nan))
    return out


def require_alts() -> Path:
    """The alt-coin folder, or a skip (a failure under CI=true, where ../shared must be present)."""
    from testkit.shared import require
    return require(ALTS)


TIERS = SHARED.parent / "specs" / "tiers-2025"
