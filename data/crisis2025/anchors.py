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
DVOLD = "Deribit BTC DVOL daily close [D:DVOLd], via TIMELINE.md"
DVOLH = "Deribit BTC DVOL hourly OHLC [D:DVOLh] and daily close [D:DVOLd], via TIMELINE.md"

# fact, value, date (UTC; an hour in brackets is where the generator places it), source
FACTS = [
    {"fact": "Sep 1 open (window start)", "value": 108246.0,
     "date": "2025-09-01T00:00Z", "source": SPOT},
    {"fact": "Late-Sep dip: low of Sep 25, lowest price of Sep 15-30", "value": 108632.0,
     "date": "2025-09-25 (18:00 bar)", "source": SPOT},
    {"fact": "All-time high on Binance spot (highest price of the window)", "value": 126199.63,
     "date": "2025-10-06 (18:00 bar)", "source": SPOT + "; press about $126k [P4][P5]"},
    {"fact": "Oct 10 open, before the tariff crash", "value": 121662.0,
     "date": "2025-10-10T00:00Z", "source": SPOT},
    {"fact": "Oct 10 crash low: spot 102,000.00 in the 21:00 hour; perp low 101,516.5 at 21:20",
     "value": {"index_low": 102000.0, "perp_low": 101516.5},
     "date": "2025-10-10 (21:00 bar)", "source": SPOT + "; " + PERP1M},
    {"fact": "Oct 10 rebound within hours: about 111k by 21:35, day close 112,775",
     "value": {"by_21_35": 111000.0, "close": 112775.0},
     "date": "2025-10-10 (21:00 bar close, 23:00 bar close)", "source": PERP1M + "; " + SPOT},
    {"fact": "Second leg down: Oct 17 low", "value": 103528.0,
     "date": "2025-10-17 (10:00 bar)", "source": SPOT},
    {"fact": "Relief-rally high on Oct 27", "value": 116400.0,
     "date": "2025-10-27 (07:00 bar)", "source": SPOT},
    {"fact": "First trade below $100k since June: Nov 4 low (no trade below 100k before)",
     "value": 98944.0, "date": "2025-11-04 (21:00 bar)",
     "source": SPOT + "; press [P14]"},
    {"fact": "Nov 14 low", "value": 94012.0,
     "date": "2025-11-14 (23:00 bar)", "source": SPOT},
    {"fact": "Capitulation: Nov 21 low, the lowest price of the window (-36.1% from the ATH)",
     "value": 80600.0, "date": "2025-11-21 (12:00 bar)", "source": SPOT},
    {"fact": "Nov 21 daily close", "value": 85129.0,
     "date": "2025-11-21T23:59Z", "source": SPOT},
    {"fact": "Nov 30 daily close (window end)", "value": 90360.0,
     "date": "2025-11-30T23:59Z", "source": SPOT},
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
    {"fact": "DVOL before the crash: daily closes 34-40, low 33.8 on Sep 18",
     "value": {"range": [0.34, 0.40], "low": 0.338},
     "date": "2025-09-01..2025-10-09 (low 2025-09-18)", "source": DVOLD},
    {"fact": "DVOL on and after the crash: 43.3 before, hourly high 64.9 in the Oct 10 21:00 bar, "
             "day close 44.1; daily closes 44-51 through Nov 12, highest 50.7 on Oct 22",
     "value": {"pre_crash": 0.433, "spike_high": 0.649, "oct10_close": 0.441,
               "range": [0.44, 0.51], "oct22_close": 0.507},
     "date": "2025-10-10..2025-11-12", "source": DVOLH},
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
