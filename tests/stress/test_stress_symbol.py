"""Stress runs use the dataset's symbol for the venue's tier table, as the backtest does."""
import json

import numpy as np
import pandas as pd

from testkit import cli as h


def test_reverse_stress_of_an_eth_long_uses_the_eth_maintenance_rate(tmp_path, capsys):
    # ETH flat at 4,000 on Hyperliquid (spec §3: ETH 25x max, MMR 1/(2 x 25) = 2 %; BTC 40x, 1.25 %).
    # A 10x isolated long opened near 4,000 has LP = E (1 - 1/10) / (1 - MMR): 3,673.5 at 2 %,
    # 3,645.6 at 1.25 %. The smallest drop from 4,000 that liquidates it is 1 - LP / 4,000:
    # about 8.16 % on ETH tiers, 8.86 % on BTC's.
    eth_drop = 1 - 4000 * 0.9 / 0.98 / 4000
    btc_drop = 1 - 4000 * 0.9 / 0.9875 / 4000
    t = pd.date_range("2025-10-01", periods=48, freq="h", tz="UTC")
    p = np.full(48, 4_000.0)
    csv = tmp_path / "eth.csv"
    pd.DataFrame({"time": t.strftime("%Y-%m-%dT%H:%M:%SZ"), "open": p, "high": p, "low": p, "close": p,
                  "volume": 1e7}).to_csv(csv, index=False)
    store = tmp_path / "store"
    rc, _, err = h.invoke(["data", "import", "eth", "--prices", str(csv), "--venue", "hyperliquid",
                           "--symbol", "ETH/USDC:USDC", "--store", str(store)], capsys)
    assert rc in (0, None), err
    rc, out, err = h.invoke(["stress", "reverse", "leveraged-long", "-p", "leverage=10", "--venue", "hyperliquid",
                             "--data", "eth", "--store", str(store), "--at", "2025-10-02 12:00", "--json"], capsys)
    assert rc in (0, None), err
    drop = json.loads(out.strip().splitlines()[-1])["drop"]
    # the entry's slippage and fee move the answer by a few basis points, far less than the gap between tiers
    assert abs(drop - eth_drop) < 0.002 < abs(drop - btc_drop)
