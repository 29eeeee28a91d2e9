"""The published facts the crisis-2025 alt coins (ETH, SOL, XRP, DOGE, BNB) are anchored to, and calibration.

Facts come from ../shared/data/crisis-2025-alts/TIMELINE-alts.md (its [D] figures: the Oct 10 20:00
opens, each coin's Oct 10 low in the 21:00 bar on Binance spot 1h and perp 5m, the recovery opens at
22:00 and Oct 11 00:00, the Oct 11 00:00 funding of SOL and ETH, SOL's funding below -0.1 % until
Oct 12 08:00). A few more single numbers were read once from the Binance files that SOURCES.md there
describes (first open, last close, November low, window high, each with its hour), as BTC's daily
OHLC were read from [D:SPOT]. The generator pins its paths to these facts; it never reads the files.

Spot facts apply to the *index* columns (index = spot), perp facts to the traded columns. DOGE has no
spot series in the sources: its facts are perp facts (the traded price), except its Oct 10 spot low
(Binance spot DOGE/USDT daily low, [D] via TIMELINE-alts.md), which is its index low.

CALIBRATION holds summary statistics measured once on the real files (per week: beta and residual
volatility against BTC, mean perp volume; the perp/spot premium level and its values in the crash
hours; funding levels by regime); they size the noise and the links to BTC, not the path.
"""

COINS = ("ETH", "SOL", "XRP", "DOGE", "BNB")

_DIR = "../shared/data/crisis-2025-alts"
TIMELINE = f"TIMELINE-alts.md ({_DIR})"


def spot_src(coin: str) -> str:
    return f"Binance spot {coin}USDT 1h [D: binance_spot_{coin}USDT_1h.csv, SOURCES.md section 1]"


def perp_src(coin: str) -> str:
    return f"Binance USDⓈ-M perp {coin}USDT 5m [D: binance_perp_{coin}USDT_5m.csv, SOURCES.md section 3]"


def funding_src(coin: str) -> str:
    return (f"Binance {coin}USDT settled funding [D: binance_perp_{coin}USDT_funding_8h.csv, SOURCES.md "
            "section 7]")


DOGE_SPOT_DAY = ("Binance spot DOGE/USDT daily high/low of 2025-10-10 [D: binance_spot_2025-10-10_daily_high_low_"
                 "drop_by_market.csv, SOURCES.md section 8]")

# Per coin. Prices are those of the series named by "facts_on" ("index" = Binance spot 1h,
# "traded" = Binance perp 5m); the Oct 10 lows give both. Times are bar opens (UTC).
# - window_open: open of the window (Sep 1 00:00); window_close: close of the last bar (Nov 30 23:00);
# - oct10_open: {"index", "perp"} opens of the Oct 10 20:00 bar (TIMELINE table);
# - crash_low: {"index", "perp"} Oct 10 lows, both in the 21:00 bar (1h bars); perp_at: 5m bar of the
#   perp low; window_low: True when it is also the lowest price of the whole window;
# - recovery: spot opens at 22:00 and Oct 11 00:00 (TIMELINE "Recovery");
# - nov_low: (price, bar) the lowest price of November; window_low as above;
# - high: (price, bar) the highest price of the window.
SPEC = {
    "ETH": {"symbol": "ETHUSDT", "facts_on": "index", "price_decimals": 2, "volume_decimals": 3,
            "window_open": 4391.83, "window_close": 2991.26,
            "oct10_open": {"index": 3997.56, "perp": 3994.99},
            "crash_low": {"index": 3435.0, "perp": 3400.0, "perp_at": "21:20", "window_low": False},
            "recovery": {"2025-10-10 22:00": 3950.0, "2025-10-11 00:00": 3829.72},
            "nov_low": (2623.57, "2025-11-21 12:00", True), "high": (4769.36, "2025-09-13 03:00")},
    "SOL": {"symbol": "SOLUSDT", "facts_on": "index", "price_decimals": 2, "volume_decimals": 2,
            "window_open": 200.62, "window_close": 133.48,
            "oct10_open": {"index": 205.31, "perp": 205.16},
            "crash_low": {"index": 168.79, "perp": 141.28, "perp_at": "21:20", "window_low": False},
            "recovery": {"2025-10-10 22:00": 193.41, "2025-10-11 00:00": 188.43},
            "nov_low": (121.66, "2025-11-21 12:00", True), "high": (253.51, "2025-09-18 17:00")},
    "XRP": {"symbol": "XRPUSDT", "facts_on": "index", "price_decimals": 4, "volume_decimals": 1,
            "window_open": 2.7757, "window_close": 2.155,
            "oct10_open": {"index": 2.6768, "perp": 2.6752},
            "crash_low": {"index": 1.2543, "perp": 1.1792, "perp_at": "21:20", "window_low": True},
            "recovery": {"2025-10-10 22:00": 2.3251, "2025-10-11 00:00": 2.3704},
            "nov_low": (1.8209, "2025-11-21 12:00", False), "high": (3.1858, "2025-09-13 10:00")},
    "DOGE": {"symbol": "DOGEUSDT", "facts_on": "traded", "price_decimals": 5, "volume_decimals": 0,
             "window_open": 0.21358, "window_close": 0.1459,
             "oct10_open": {"perp": 0.23173},
             "crash_low": {"index": 0.095, "perp": 0.08385, "perp_at": "21:20", "window_low": True},
             "recovery": {},
             "nov_low": (0.13316, "2025-11-21 12:00", False), "high": (0.30679, "2025-09-13 13:00")},
    "BNB": {"symbol": "BNBUSDT", "facts_on": "index", "price_decimals": 2, "volume_decimals": 2,
            "window_open": 857.66, "window_close": 875.31,
            "oct10_open": {"index": 1235.58, "perp": 1236.53},
            "crash_low": {"index": 860.11, "perp": 823.6, "perp_at": "21:15", "window_low": False},
            "recovery": {"2025-10-10 22:00": 1107.31, "2025-10-11 00:00": 1102.57},
            "nov_low": (790.79, "2025-11-21 12:00", True), "high": (1375.11, "2025-10-13 08:00")},
}

# Funding facts [D: binance_perp_{SOL,ETH}USDT_funding_8h] via TIMELINE-alts.md.
FUNDING_AT = "2025-10-11 00:00"
FUNDING_FACT = {"SOL": -0.00302761, "ETH": 0.0001}
SOL_BELOW = (-0.001, "2025-10-11 00:00", "2025-10-12 08:00")   # every settlement in [first, last] below


def _facts(coin: str) -> list:
    s = SPEC[coin]
    on_index = s["facts_on"] == "index"
    src = spot_src(coin) if on_index else perp_src(coin)
    series = "spot (index)" if on_index else "perp (traded)"
    low = s["crash_low"]
    span = ("the lowest price of the window" if low["window_low"] else
            "the lowest price of Oct 10 00:00 - Oct 11 23:59 (TIMELINE: the lowest point of Oct 10 20:00 - "
            "Oct 11 23:59 was on Oct 10; the spot low is Oct 10's daily low)")
    index_low_src = (spot_src(coin) if on_index else DOGE_SPOT_DAY) + ", via " + TIMELINE
    facts = [
        {"fact": f"Sep 1 open (window start), {series}", "value": s["window_open"], "date": "2025-09-01T00:00Z",
         "source": src + ", first bar (read once)"},
        {"fact": "Oct 10 20:00 open, before the crash (spot = index, perp = traded)",
         "value": dict(s["oct10_open"]), "date": "2025-10-10T20:00Z",
         "source": TIMELINE + ", table 'Oct 10 lows' [D]: " + "; ".join(
             [spot_src(coin)] * on_index + [perp_src(coin)])},
        {"fact": f"Oct 10 crash low, in the 21:00 bar on 1h bars (perp 5m low at {low['perp_at']}); {span}; "
                 "index = Binance spot low, traded = Binance perp 5m low",
         "value": {"index": low["index"], "perp": low["perp"]}, "date": "2025-10-10T21:00Z",
         "source": index_low_src + "; " + perp_src(coin) + ", via " + TIMELINE},
    ]
    if s["recovery"]:
        facts.append({"fact": "Recovery: Binance spot opens at 22:00 and at Oct 11 00:00",
                      "value": {"2025-10-10T22:00Z": s["recovery"]["2025-10-10 22:00"],
                                "2025-10-11T00:00Z": s["recovery"]["2025-10-11 00:00"]},
                      "date": "2025-10-10T22:00Z..2025-10-11T00:00Z", "source": spot_src(coin) + ", via " + TIMELINE})
    if coin in FUNDING_FACT:
        facts.append({"fact": "Funding settled at Oct 11 00:00 (per 8h)", "value": FUNDING_FACT[coin],
                      "date": "2025-10-11T00:00Z", "source": funding_src(coin) + ", via " + TIMELINE})
    if coin == "SOL":
        facts.append({"fact": "SOL funding stayed below -0.1 % per 8h until the Oct 12 08:00 settlement "
                              "(inclusive; Oct 12 16:00 is above -0.1 %)",
                      "value": {"below": SOL_BELOW[0], "first": "2025-10-11T00:00Z", "last": "2025-10-12T08:00Z"},
                      "date": "2025-10-11T00:00Z..2025-10-12T08:00Z",
                      "source": funding_src(coin) + ", via " + TIMELINE + " and SOURCES.md section 7"})
    v, at, wl = s["nov_low"]
    facts += [
        {"fact": f"November low, {series}" + ("; also the lowest price of the window" if wl else "") +
                 f"; on the real 1h bars in the {at[11:]} bar of {at[:10]}, like every coin's; the "
                 "reconstruction puts it in the bar of BTC's reconstructed low of that day (a seeded hour)",
         "value": v, "date": at[:10], "source": src + " (read once)"},
        {"fact": f"Highest price of the window, {series}", "value": s["high"][0],
         "date": s["high"][1].replace(" ", "T") + "Z", "source": src + " (read once)"},
        {"fact": f"Nov 30 close (window end, close of the 23:00 bar), {series}", "value": s["window_close"],
         "date": "2025-11-30T23:00Z", "source": src + ", last bar (read once)"},
    ]
    return facts


FACTS = {c: _facts(c) for c in COINS}

# --- Calibration: summary statistics measured once on the real files -----------------------------
# Weeks are 7 days from Mon Sep 1. Hourly log returns of each coin's spot 1h (DOGE: perp 5m summed to
# 1h) against Binance spot BTCUSDT 1h (../shared/data/crisis-2025), the crash hours Oct 10 20:00-23:00
# left out (the generator adds the crash itself, as for BTC). weekly_beta = cov / var of BTC's
# returns in that week; weekly_idio_vol = std of the residual (coin - beta x BTC), annualized with
# 365 days. beta / corr: the same over the whole window (for reference and the tests).
# weekly_perp_volume: mean Binance perp volume per hour (base coin), from the perp 5m file;
# crash_volume: perp volume of the Oct 10 19:00-23:00 hours over that week's mean hour.
# premium_median: median of perp close / spot close - 1 over the 1h bars (Oct 10 20:00 - Oct 11
# 23:00 left out); crash_premium: its values at the closes of the 20:00-23:00 bars of Oct 10.
# funding: regime mean and std of the settled rate per 8h over the regimes of BTC's funding
# (settlements from Sep 1, Oct 1, Oct 11, Oct 26, Nov 21): ETH and SOL from the funding files
# (SOL's std without its five anchored settlements); XRP and BNB, which have no funding file, by
# the rule "Binance's formula on the measured premium" (each 8h settlement from the mean 1h-close
# premium of the 8 hours before; this rule gives ETH's real regime means within 0.15 bp and SOL's
# first three within 0.2 bp); DOGE, which has neither funding nor spot, the mean of the other four.
_FUNDING_RULE = ("XRP and BNB have no funding file: regime means and stds of Binance's formula "
                 "F = P + clamp(0.01% - P, +-0.05%) applied to P = the mean perp/spot premium of the 8 hourly "
                 "closes before each settlement, measured on their perp 5m and spot 1h files")
CALIBRATION = {
    "ETH": {
        "beta": 1.34, "corr": 0.853,
        "weekly_beta": [1.314, 1.088, 1.303, 1.689, 1.269, 1.502, 1.465, 1.217, 1.216, 1.506, 1.397, 1.23, 1.257],
        "weekly_idio_vol": [0.319, 0.254, 0.255, 0.286, 0.304, 0.475, 0.349, 0.287, 0.287, 0.418, 0.374, 0.357,
                            0.306],
        "weekly_perp_volume": [175800, 156200, 126900, 179200, 155800, 270800, 234700, 158500, 152400, 230000,
                               219600, 270400, 156400],
        "crash_volume": [3.92, 3.62, 13.1, 3.11, 1.79],
        "premium_median": -0.000455, "crash_premium": [-0.00169, -0.00223, -0.00056, -0.00254],
        "funding": {"regime_mean": [3.1e-05, 4.51e-05, 2.32e-05, 5.12e-05, 2.65e-05],
                    "regime_std": [4.5e-05, 4.11e-05, 4.06e-05, 4.05e-05, 2.71e-05],
                    "source": funding_src("ETH")},
    },
    "SOL": {
        "beta": 1.492, "corr": 0.8,
        "weekly_beta": [1.463, 1.488, 1.869, 1.923, 1.514, 1.648, 1.819, 1.248, 1.501, 1.737, 1.403, 1.241, 1.409],
        "weekly_idio_vol": [0.389, 0.421, 0.36, 0.487, 0.418, 0.564, 0.514, 0.364, 0.387, 0.51, 0.466, 0.556,
                            0.383],
        "weekly_perp_volume": [1011000, 1167000, 882400, 1154000, 957200, 1485000, 1435000, 870000, 949200,
                               1235000, 1079000, 1438000, 850300],
        "crash_volume": [2.34, 2.99, 12.58, 3.71, 2.22],
        "premium_median": -0.00051, "crash_premium": [0.0002, -0.01401, -0.00774, -0.00414],
        "funding": {"regime_mean": [2.8e-05, 1.14e-05, -0.000228, -4.87e-06, -8.24e-06],
                    "regime_std": [5.69e-05, 6e-05, 0.00015, 8.51e-05, 7.45e-05],
                    "source": funding_src("SOL")},
    },
    "XRP": {
        "beta": 1.256, "corr": 0.776,
        "weekly_beta": [1.081, 1.037, 1.372, 1.461, 1.057, 1.415, 1.473, 0.992, 1.179, 1.425, 1.233, 1.234, 1.318],
        "weekly_idio_vol": [0.332, 0.335, 0.314, 0.374, 0.36, 0.476, 0.439, 0.409, 0.386, 0.551, 0.501, 0.439,
                            0.43],
        "weekly_perp_volume": [21290000, 21650000, 18330000, 24550000, 20870000, 41620000, 37410000, 23980000,
                               25240000, 35960000, 30930000, 38280000, 24480000],
        "crash_volume": [3.44, 5.49, 20.69, 8.19, 4.54],
        "premium_median": -0.00047, "crash_premium": [0.00088, 0.00065, -0.00085, -0.0016],
        "funding": {"regime_mean": [5.58e-05, 7e-05, -2.24e-05, -1.61e-05, -7.93e-05],
                    "regime_std": [4.33e-05, 4.2e-05, 8.44e-05, 7.3e-05, 8.59e-05],
                    "source": _FUNDING_RULE},
    },
    "DOGE": {
        "beta": 1.55, "corr": 0.776,
        "weekly_beta": [1.5, 1.9, 2.551, 2.058, 1.538, 2.001, 1.818, 1.189, 1.409, 1.746, 1.335, 1.361, 1.315],
        "weekly_idio_vol": [0.393, 0.726, 0.53, 0.433, 0.487, 0.693, 0.489, 0.303, 0.325, 0.622, 0.453, 0.567,
                            0.335],
        "weekly_perp_volume": [227900000, 442400000, 344400000, 326900000, 291200000, 621400000, 577400000,
                               246400000, 226100000, 324800000, 247800000, 338200000, 179400000],
        "crash_volume": [1.66, 3.21, 12.25, 6.19, 3.46],
        "premium_median": None, "crash_premium": None,
        "funding": {"regime_mean": None, "regime_std": None,
                    "source": "DOGE has neither a funding nor a spot file: per regime, the mean of the "
                              "ETH, SOL, XRP and BNB values"},
    },
    "BNB": {
        "beta": 1.108, "corr": 0.696,
        "weekly_beta": [0.524, 0.727, 1.187, 1.423, 1.108, 1.592, 1.611, 0.97, 0.973, 1.363, 1.022, 0.921, 1.018],
        "weekly_idio_vol": [0.184, 0.263, 0.434, 0.415, 0.495, 0.808, 0.684, 0.454, 0.421, 0.44, 0.303, 0.35,
                            0.26],
        "weekly_perp_volume": [18140, 25290, 52100, 56290, 55450, 140600, 104100, 53120, 44740, 56000, 35700,
                               47870, 24780],
        "crash_volume": [1.65, 1.98, 9.58, 3.62, 1.96],
        "premium_median": 0.000357, "crash_premium": [0.00087, 0.00035, 0.00054, 0.00034],
        "funding": {"regime_mean": [0.000116, 0.000118, -4.65e-05, 3.87e-05, 0.000121],
                    "regime_std": [3.67e-05, 3.47e-05, 0.000145, 0.000123, 3.98e-05],
                    "source": _FUNDING_RULE},
    },
}
_OTHERS = [c for c in COINS if c != "DOGE"]
for _k in ("regime_mean", "regime_std"):
    CALIBRATION["DOGE"]["funding"][_k] = [
        float(f"{sum(CALIBRATION[c]['funding'][_k][r] for c in _OTHERS) / len(_OTHERS):.3g}") for r in range(5)]

SOURCES = {
    "btc": "Binance spot BTCUSDT 1h (../shared/data/crisis-2025, SOURCES.md section 1)",
    "returns": "Binance spot {COIN}USDT 1h (SOURCES.md section 1 of ../shared/data/crisis-2025-alts); "
               "DOGE: Binance perp DOGEUSDT 5m summed to 1h (section 3)",
    "volume": "Binance perp {COIN}USDT 5m (section 3)",
    "premium": "Binance perp 5m closes (section 3) over Binance spot 1h closes (section 1)",
}
for _c in COINS:
    CALIBRATION[_c]["source"] = ("summary statistics measured once (never the series): "
                                 + "; ".join(f"{k}: {v.replace('{COIN}', _c)}" for k, v in SOURCES.items()))
