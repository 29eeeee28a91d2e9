"""The published facts the crisis-2025 reconstruction is anchored to (at most 20), and calibration.

Every fact is a public number with its source, taken from ../shared/data/crisis-2025/TIMELINE.md
(its [D:...] tags are real exchange data files listed in SOURCES.md, its [Pn] tags press pages).
The generator pins its paths to these facts; it never reads or copies the shared data files.

Spot facts are applied to the *index* columns (index = spot, see generator.py); the traded perp
and the mark follow the index through a modelled premium.

CALIBRATION holds summary statistics (13 weekly volatilities, 13 weekly mean volumes, a 24-value
hour-of-day profile) measured once on the Binance spot 1h file; they set the size of the noise,
not the path, and are stated as such in the manifest.
"""

SPOT = "Binance spot BTCUSDT 1h/1d [D:SPOT], via TIMELINE.md"
PERP1M = "Binance USDⓈ-M perp 1m, Oct 10 [D:PERP1m], via TIMELINE.md"
FUND = "Binance BTCUSDT settled funding, 3 agreeing files [D:FUND], via TIMELINE.md"
DVOLH = "Deribit BTC DVOL hourly OHLC [D:DVOLh] and daily close [D:DVOLd], via TIMELINE.md"

# Key days of Binance spot BTCUSDT as published in TIMELINE.md's daily table [D:SPOT 1d, from 1h]:
# date -> (open, high, low, close). Each row is one fact; the generator hits all four exactly on
# the index columns. Within a day the hours of the high and low are reconstruction choices
# (seeded), except on Oct 10, where the low is published in the 21:00 hour.
DAILY = {
    "2025-09-15": (115268.0, 116758.0, 114384.0, 115350.0),
    "2025-09-25": (113307.0, 113510.0, 108632.0, 108994.0),
    "2025-10-01": (114049.0, 118649.0, 113967.0, 118595.0),
    "2025-10-06": (123482.0, 126199.63, 123084.0, 124659.0),
    "2025-10-10": (121662.0, 122550.0, 102000.0, 112775.0),
    "2025-10-17": (108194.0, 109240.0, 103528.0, 106432.0),
    "2025-10-27": (114559.0, 116400.0, 113830.0, 114108.0),
    "2025-11-04": (106583.0, 107299.0, 98944.0, 101497.0),
    "2025-11-13": (101654.0, 104085.0, 98000.0, 99692.0),
    "2025-11-14": (99692.0, 99866.0, 94012.0, 94594.0),
    "2025-11-18": (92215.0, 93836.0, 89254.0, 92961.0),
    "2025-11-21": (86637.0, 87499.0, 80600.0, 85129.0),
    "2025-11-30": (90802.0, 92000.0, 90337.0, 90360.0),
}
DAY_NOTES = {
    "2025-09-25": "late-Sep dip; its low is the lowest price of Sep 15-30",
    "2025-10-01": "'Uptober' rally",
    "2025-10-06": "all-time high 126,199.63, the highest price of the window (press: about $126k [P4][P5])",
    "2025-10-10": "tariff crash: low 102,000.00 in the 21:00 hour; on the perp the low is 101,516.5 "
                  "at 21:20 and the price is back to about 111k by 21:35 [D:PERP1m]",
    "2025-10-17": "second leg down",
    "2025-10-27": "relief-rally high",
    "2025-11-04": "first trade below $100k since June (nothing lower before Nov 4) [P14]",
    "2025-11-13": "first daily close below 100k",
    "2025-11-21": "capitulation: the lowest price of the window, -36.1% from the ATH",
    "2025-11-30": "window end",
}
OCT10_PERP_LOW = 101516.5       # [D:PERP1m], 21:20
OCT10_BY_2135 = 111000.0        # [D:PERP1m], "back to about 111k by 21:35"
SEP1_OPEN = 108246.0            # [D:SPOT 1h], first bar of the window


def _daily_fact(date, ohlc):
    o, h, lo, c = ohlc
    note = DAY_NOTES.get(date, "key day")
    value = {"open": o, "high": h, "low": lo, "close": c}
    source = SPOT
    if date == "2025-10-10":
        value.update({"perp_low": OCT10_PERP_LOW, "price_by_21_35": OCT10_BY_2135})
        source = SPOT + "; " + PERP1M
    return {"fact": f"Binance spot daily OHLC, {note}", "value": value, "date": date,
            "source": source}


# fact, value, date (UTC), source
FACTS = [
    {"fact": "Sep 1 open (window start)", "value": SEP1_OPEN,
     "date": "2025-09-01T00:00Z", "source": "Binance spot BTCUSDT 1h [D:SPOT], first bar (SOURCES.md)"},
    *[_daily_fact(d, v) for d, v in DAILY.items()],
    {"fact": "Funding mean over September settlements, per 8h", "value": 0.000043,
     "date": "2025-09-01..2025-09-30", "source": FUND},
    {"fact": "Funding mean Oct 1-10 per 8h, near the +0.0100% baseline, no negative prints",
     "value": 0.000070, "date": "2025-10-01..2025-10-10", "source": FUND},
    {"fact": "Funding Oct 11-25: mean about 0.0002%/8h, 23 of 45 negative, "
             "minimum -0.0109% at Oct 12 16:00 (the minimum of the window)",
     "value": {"mean": 0.000002, "min": -0.000109, "negative_share": 23 / 45},
     "date": "2025-10-11..2025-10-25 (min 2025-10-12T16:00Z)", "source": FUND},
    {"fact": "Funding mean Oct 26-Nov 20 per 8h (3 of 78 negative)", "value": 0.000061,
     "date": "2025-10-26..2025-11-20", "source": FUND},
    {"fact": "Funding mean Nov 21-Dec 1 per 8h (9 of 33 negative); applied to Nov 21-30",
     "value": 0.000021, "date": "2025-11-21..2025-11-30", "source": FUND},
    {"fact": "DVOL regimes: daily closes 34-40 before the crash (low 33.8 on Sep 18); on Oct 10 "
             "43.3 before the jump, hourly high 64.9 in the 21:00 bar, day close 44.1; daily "
             "closes 44-51 through Nov 12, highest 50.7 on Oct 22; no data after Nov 12",
     "value": {"pre_crash_range": [0.34, 0.40], "sep18_close": 0.338, "oct10_pre_jump": 0.433,
               "oct10_spike_high": 0.649, "oct10_close": 0.441, "post_range": [0.44, 0.51],
               "oct22_close": 0.507},
     "date": "2025-09-01..2025-11-12", "source": DVOLH},
]

# --- Calibration: summary statistics of Binance spot 1h, weeks of 7 days from Mon Sep 1 ---------
CALIBRATION = {
    "source": "summary statistics of Binance spot BTCUSDT 1h (SOURCES.md section 1), measured once",
    # std of hourly log returns, annualized with 365 days; week 5 (Oct 6-12) excludes the
    # crash hours Oct 10 20:00-Oct 11 00:00 because the generator adds the crash itself.
    "weekly_vol": [0.374, 0.232, 0.193, 0.292, 0.314, 0.446, 0.414,
                   0.435, 0.414, 0.477, 0.490, 0.660, 0.403],
    # mean spot volume per hour, BTC, per week
    "weekly_spot_volume": [541, 527, 421, 559, 741, 1259, 1023, 818, 744, 1188, 1130, 1531, 706],
    # perp/spot volume ratio, measured on Oct 10 21:00-22:59 (PERP1m vs SPOT): 3.0-5.8
    "perp_volume_ratio": 4.0,
    # root-mean-square hourly return by hour of day (UTC), relative to the day's mean
    "hour_vol_profile": [0.89, 0.80, 1.06, 0.77, 1.00, 0.97, 0.83, 0.99, 0.85, 0.87, 0.56, 0.71,
                         0.85, 1.12, 1.50, 1.64, 1.28, 1.32, 0.80, 0.79, 1.00, 0.80, 0.93, 0.94],
    "hour_volume_profile": [0.89, 0.84, 0.87, 0.83, 0.87, 0.79, 0.85, 1.10, 0.97, 0.91, 0.75, 0.79,
                            1.04, 1.30, 1.62, 1.51, 1.46, 1.31, 1.08, 0.90, 0.88, 0.97, 0.77, 0.71],
}

assert len(FACTS) <= 20, "the reconstruction is anchored to at most 20 published facts"
