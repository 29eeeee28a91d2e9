"""The ``Dataset`` bundle (docs/ARCHITECTURE.md, "Data contract") and its manifest helpers.

A dataset is one venue/symbol on a regular UTC bar grid: traded, mark and index OHLC in ``bars``,
settled funding in ``funding`` and implied-volatility prints in ``iv``, plus a JSON ``manifest``
that says where every column came from. It may hold other coins on the same grid (``coins``), each
a single-coin ``Dataset`` of its own; ``bars``/``funding``/``iv``/``manifest`` are the primary coin's.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
import re

import pandas as pd

from hedgelab.core.errors import UserError

SCHEMA_VERSION = 1

TRADED = ("open", "high", "low", "close")
MARK = ("mark_open", "mark_high", "mark_low", "mark_close")
INDEX = ("index_open", "index_high", "index_low", "index_close")
BAR_COLUMNS = (*TRADED, "volume", *MARK, *INDEX)
FUNDING_COLUMNS = ("rate", "mark_price")
IV_COLUMNS = ("atm_iv",)
KINDS = ("real", "reconstruction", "imported")

# Dataset names become directory names in the store: keep them portable.
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# Coin names (the keys of ``coins`` and the folders under NAME/coins/): base coins as
# ``engine.venues.base_coin`` spells them.
COIN_RE = re.compile(r"^[A-Z0-9]{1,15}$")
# Manifest keys that belong to the dataset, not to one coin: left out of a coin's entry in the
# manifest's "coins" when they equal the dataset's (``coin_entry``), put back when read (``coin_manifest``).
# Keys of the whole dataset that each coin's manifest inherits: its ADL events name their coins
# (data/adl.py), so a coin taken alone (``Dataset.coin``, ``--symbol``) still has them.
DATASET_KEYS = ("schema_version", "name", "adl_events")


@dataclass(frozen=True, eq=False)
class Dataset:
    """One named market-data bundle; frames follow the contract, ``manifest`` is a JSON dict.

    ``eq=False`` because DataFrames have no single truth value; compare frames explicitly.
    """

    name: str
    bars: pd.DataFrame
    funding: pd.DataFrame
    iv: pd.DataFrame
    manifest: dict = field(default_factory=dict)
    # The other coins (not the primary), coin name -> single-coin Dataset on the primary's grid, in
    # the manifest's order. Read only by convention (a copy of the mapping given is kept).
    coins: Mapping[str, Dataset] = field(default_factory=dict)

    def __post_init__(self) -> None:
        coins = dict(self.coins or {})
        for coin, sub in coins.items():
            if not isinstance(coin, str) or not COIN_RE.match(coin):
                raise UserError(f"dataset {self.name!r}: coin name {coin!r} must be a base coin in upper "
                                "case (letters and digits, e.g. ETH)")
            if not isinstance(sub, Dataset):
                raise UserError(f"dataset {self.name!r}: coin {coin} must be a Dataset, got {type(sub).__name__}")
            if sub.coins:
                raise UserError(f"dataset {self.name!r}: coin {coin} holds coins of its own "
                                f"({', '.join(sub.coins)}); a coin is a single-coin dataset")
        object.__setattr__(self, "coins", coins)

    @property
    def bar_size(self) -> pd.Timedelta:
        """The bar step as a Timedelta (from the manifest's pandas offset string)."""
        return bar_timedelta(self.manifest["bar_size"])

    @property
    def primary_coin(self) -> str:
        """The primary coin: the base coin of the manifest's symbol (BTC for BTCUSDT; BTC without one)."""
        return primary_coin(self.manifest)

    @property
    def coin_names(self) -> tuple[str, ...]:
        """The coins held: the primary's first, then the others in the manifest's order."""
        return (self.primary_coin, *self.coins)

    def coin(self, name: str) -> Dataset:
        """One coin as a single-coin Dataset: the primary returns this dataset itself.

        ``name`` is a coin (``ETH``) or any exchange/ccxt spelling of it (``ETHUSDT``, ``eth``);
        a coin the dataset does not hold is a UserError listing the coins it holds.
        """
        coin = self.coin_key(name)
        return self if coin == self.primary_coin else self.coins[coin]

    def coin_key(self, name: str) -> str:
        """The coin name the dataset uses for ``name`` (``"ethusdt"`` -> ``"ETH"``), or a UserError."""
        names = self.coin_names
        text = str(name).strip()
        if text in names:
            return text
        candidates = [text.upper()]
        try:
            candidates.append(base_coin(text))
        except UserError:
            pass
        for c in candidates:
            if c in names:
                return c
        raise UserError(f"data {self.name!r} has no {candidates[-1] or repr(name)} (coins: {', '.join(names)})")

    def __repr__(self) -> str:  # the default repr would print three whole frames
        m = self.manifest
        more = f", coins={list(self.coins)}" if self.coins else ""
        return (f"Dataset({self.name!r}, kind={m.get('kind')!r}, bar_size={m.get('bar_size')!r}, "
                f"bars={len(self.bars)}, funding={len(self.funding)}, iv={len(self.iv)}{more})")


# The quote suffixes ``base_coin`` strips (the same rule as ``engine.venues.base_coin``, which the data
# layer cannot import: engine sits above data in .importlinter; tests/data/test_data_coins.py checks
# that the two agree).
_QUOTES = ("USDT", "USDC", "USD", "BUSD", "FDUSD", "DAI", "PERP", "PERPETUAL", "SWAP")
_SUFFIX = re.compile(r"(?:[-_/:]?(?:" + "|".join(sorted(_QUOTES, key=len, reverse=True)) + r"))+$")


def base_coin(symbol: str) -> str:
    """The base coin of an exchange or ccxt symbol, the name of a dataset's coin: 'ETHUSDT',
    'ETH/USDT:USDT', 'ETH-PERPETUAL', 'eth' -> 'ETH'; a UserError for text that is no symbol."""
    text = str(symbol).strip().upper()
    head = re.split(r"[/:]", text)[0]            # ccxt: base before the slash
    coin = _SUFFIX.sub("", head) or head
    if not COIN_RE.match(coin):
        raise UserError(f"symbol {symbol!r}: not an exchange or ccxt symbol (e.g. BTCUSDT, BTC/USDT:USDT, "
                        "BTC-PERPETUAL, BTC)")
    return coin


def primary_coin(manifest: dict) -> str:
    """The base coin of ``manifest["symbol"]`` (``"BTC"`` when there is no symbol, as the runner reads it)."""
    return base_coin(str(manifest.get("symbol") or "BTC"))


def coin_entry(manifest: dict, dataset_manifest: dict) -> dict:
    """A coin's manifest as its entry in the dataset manifest's ``"coins"``: the dataset-level keys
    (``DATASET_KEYS``) left out where they equal the dataset's, and never ``"coins"``."""
    return {k: v for k, v in manifest.items()
            if k != "coins" and not (k in DATASET_KEYS and v == dataset_manifest.get(k))}


def coin_manifest(entry: dict, dataset_manifest: dict) -> dict:
    """A coin's full manifest from its entry: the dataset-level keys it leaves out taken from the dataset."""
    return {**{k: dataset_manifest[k] for k in DATASET_KEYS if k in dataset_manifest}, **entry}


def coins_manifest(ds: Dataset) -> dict:
    """The manifest ``ds`` is stored with: the primary's, with ``"coins"`` made from ``ds.coins``
    (absent for a single-coin dataset)."""
    manifest = {k: v for k, v in ds.manifest.items() if k != "coins"}
    if ds.coins:
        manifest["coins"] = {c: coin_entry(sub.manifest, manifest) for c, sub in ds.coins.items()}
    return manifest


def bar_timedelta(bar_size: str) -> pd.Timedelta:
    """``"1h"`` -> Timedelta(1h); the offset must be a fixed length (no month or business bars)."""
    if isinstance(bar_size, str):  # pandas 3 wants "D" for days; accept the common "1d" too
        bar_size = re.sub(r"(?<=\d)d$", "D", bar_size.strip())
    try:
        step = pd.Timedelta(bar_size)  # a fixed length; parses "1h", "1min", "1D"
    except (ValueError, TypeError):
        try:
            step = pd.Timedelta(pd.tseries.frequencies.to_offset(bar_size))
        except (ValueError, TypeError):
            step = None
    if step is not None and step > pd.Timedelta(0):
        return step
    raise UserError(f"bar size {bar_size!r} is not a fixed length such as '1min', '1h' or '1d'")


def offset_string(step: pd.Timedelta) -> str:
    """Timedelta -> short pandas offset string: 1h, 8h, 1min, 5min, 1D, 30s."""
    seconds = int(step.total_seconds())
    for unit, size in (("D", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    raise ValueError(f"bar step {step} is not a whole number of seconds")


def iso(ts: pd.Timestamp) -> str:
    """UTC timestamp as ISO-8601 with a trailing Z (the manifest's time format)."""
    return pd.Timestamp(ts).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def new_manifest(name: str, *, kind: str, venue: str, symbol: str, bars: pd.DataFrame,
                 bar_size: str, funding_interval_hours: float | None, provenance: dict,
                 proxies: dict, iv_fill: str | None = None, notes: list | None = None,
                 anchors: list | None = None) -> dict:
    """A manifest with every contract key. ``end`` is the close of the last bar (exclusive end)."""
    step = bar_timedelta(bar_size)
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "name": name,
        "kind": kind,
        "venue": venue,
        "symbol": symbol,
        "bar_size": bar_size,
        "start": iso(bars.index[0]),
        "end": iso(bars.index[-1] + step),
        "funding_interval_hours": funding_interval_hours,
        "provenance": provenance,
        "proxies": proxies,
        "iv_fill": iv_fill,
        "notes": list(notes or []),
    }
    if anchors is not None:
        manifest["anchors"] = anchors
    return manifest


def empty_funding() -> pd.DataFrame:
    """Funding frame with no settlements (the contract's columns and index)."""
    return pd.DataFrame({c: pd.Series(dtype="float64") for c in FUNDING_COLUMNS},
                        index=pd.DatetimeIndex([], tz="UTC", name="time"))


def empty_iv() -> pd.DataFrame:
    """IV frame with no prints."""
    return pd.DataFrame({"atm_iv": pd.Series(dtype="float64")},
                        index=pd.DatetimeIndex([], tz="UTC", name="time"))


def ns(index: pd.DatetimeIndex):
    """Int64 nanoseconds since the epoch, whatever the index's unit (pandas 3 defaults to us)."""
    return index.as_unit("ns").asi8
