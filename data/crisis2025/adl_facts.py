"""Hyperliquid's auto-deleveraging of 2025-10-10, 21:16:04-21:26:57 UTC, per coin of the dataset: the
published totals as facts (ConejoCapital/HyperMultiAssetedADL @ 79bad0f, ``adl_by_coin_REALTIME.csv``,
built from Hyperliquid's public node fills; the tally: 34,983 ADL fills, $2.10 B, 162 coins).

ADL'd positions realized +$834 M, 94.5 % of them in profit and the ten largest in the BTC/SOL subset all
shorts: the closed side is the shorts (../shared/specs/adl-and-margin.md §2).

The side's open interest is not in the data: it is an ASSUMPTION, stated in each event: Hyperliquid's
whole open interest before the event, about $13.8 B (Catenaa, 2025-10-25; Phemex news: "from about
13.8 to 7.4 billion"), times the coin's share of the window's liquidation + ADL notional ($7.614 B over
171 tickers, the same repository's combined_impact_by_ticker.csv @ 259f905). Open interest counts one
side, so it is the shorts' open interest too. No measured ADL price is published: the engine applies
the venue's rule (the previous mark).
"""

VENUE = "hyperliquid"
START, END = "2025-10-10T21:16:04+00:00", "2025-10-10T21:26:57+00:00"
VENUE_OPEN_INTEREST_USD = 13.8e9
WINDOW_NOTIONAL_USD = 7_614_154_355.91   # liquidations + ADL, all 171 tickers, 21:15-21:27
SOURCE = ("ConejoCapital/HyperMultiAssetedADL @ 79bad0f, adl_by_coin_REALTIME.csv (Hyperliquid node fills, "
          "2025-10-10 21:15-21:27 UTC); license of the figures: see SOURCES (non-commercial terms may apply)")
OI_SOURCE = ("assumption: Hyperliquid open interest before the event, $13.8 B (Catenaa 2025-10-25, Phemex), "
             "x the coin's share of the window's liquidation + ADL notional (combined_impact_by_ticker.csv @ 259f905)")

# coin -> (ADL notional, liquidation + ADL notional in the window), USD
COINS = {
    "BTC": (620_890_947.73, 2_410_498_711.45),
    "ETH": (458_008_925.03, 1_516_168_183.99),
    "SOL": (276_200_960.58, 894_299_400.65),
    "XRP": (31_422_285.06, 114_492_288.33),
    "DOGE": (16_487_948.01, 69_323_983.03),
    "BNB": (2_652_773.92, 11_031_803.35),
}


def adl_events() -> list[dict]:
    """The manifest's ``adl_events`` (data/adl.py) for the coins above."""
    return [{"venue": VENUE, "coin": coin, "start": START, "end": END, "side": "short",
             "notional_usd": adl, "open_interest_usd": round(VENUE_OPEN_INTEREST_USD * window / WINDOW_NOTIONAL_USD, 2),
             "open_interest_source": OI_SOURCE, "source": SOURCE}
            for coin, (adl, window) in COINS.items()]
