"""``BasketStrategy``: a strategy over several coins in one account (the basket kernel, engine/nb/basket.py).

A basket run names its coins and their weights (``--basket BTC=0.3,ETH=0.4,SOL=0.3``); a strategy
may add a hedge coin the basket does not hold (``hedge_coin = "BTC"``). The account's coins are the
basket's in the order given, then the hedge coin. The hook (``BASKET_HOOK_SIG``) reads every coin's row
and writes a row of intents per coin.

Parameters are ``Param`` class attributes, validated as for single-coin strategies. In the kernel,
``params`` holds the declared parameters in order, then one weight per coin of the account (0 for a
hedge coin outside the basket), then the hedge coin's row (-1: none): a hook reads weight k at
``params[P + k]`` and the hedge row at ``params[P + n_coins]``, P = the number of declared
parameters (``weights_at``).
"""
from __future__ import annotations

import numba
import numpy as np

from hedgelab.core.errors import UserError
from hedgelab.engine.basket_types import BASKET_HOOK_SIG
from hedgelab.engine.spec import StrategySpec
from hedgelab.strategies.base import Strategy, as_features, as_mask, hook_of


class BasketStrategy(Strategy):
    """Base of basket strategies: ``decide_nb`` has ``BASKET_HOOK_SIG``; ``prepare`` sees every coin."""

    kind = "basket"
    hedge_coin: str | None = None     # a coin the strategy trades besides the basket (e.g. "BTC")
    margin_mode = "cross"

    @classmethod
    def weights_at(cls) -> int:
        """Where the weights start in a column's ``params`` (= the number of declared parameters)."""
        return len(cls.params())

    @classmethod
    def coins(cls, basket: dict) -> tuple:
        """The account's coins: the basket's, then the hedge coin when the basket lacks it."""
        coins = tuple(basket)
        if cls.hedge_coin is not None and cls.hedge_coin not in coins:
            coins = coins + (cls.hedge_coin,)
        return coins

    def prepare_basket(self, markets: dict, weights: np.ndarray) -> np.ndarray:
        """Features, shape (n_bars, k); row i may use only what is known at bar i's close. ``markets``:
        coin -> MarketArrays in the account's order; ``weights`` in the same order."""
        return np.zeros((len(next(iter(markets.values())).close), 1))

    def feature_names(self, coins: tuple) -> tuple | None:
        """Names of ``prepare_basket``'s columns the report may show (``beta.COIN/REF``: a coin's beta on
        REF, the hedge's reference), or None."""
        return None

    def rebalance_basket(self, markets: dict, param_sets: list[dict]) -> np.ndarray:
        """Bars on which the kernel calls the hook (default: every bar)."""
        return np.ones(len(next(iter(markets.values())).close), dtype=bool)

    def basket_spec(self, markets: dict, basket: dict, param_sets: list[dict] | None = None) -> StrategySpec:
        """Parameter matrix (declared values, weights, hedge row), features, rebalance mask and labels."""
        coins = self.coins(basket)
        if tuple(markets) != coins:
            raise UserError(f"{self.name}: the markets hold {', '.join(markets)}, the account needs {', '.join(coins)}")
        sets = [self.validate(p) for p in (param_sets if param_sets is not None else [self.values])]
        if not sets:
            raise UserError(f"{self.name}: no parameter sets given")
        if len(self.feature_groups(sets, validated=True)) > 1:
            raise ValueError(f"{self.name}: basket_spec() got parameter sets that differ in feature parameters; "
                             f"split them with feature_groups()")
        weights = np.array([float(basket.get(c, 0.0)) for c in coins])
        hedge = float(coins.index(self.hedge_coin)) if self.hedge_coin is not None else -1.0
        declared = self.params()
        names = tuple(declared) + tuple(f"weight.{c}" for c in coins) + ("hedge_row",)
        matrix = np.array([[declared[k].encode(v[k]) for k in declared] + list(weights) + [hedge] for v in sets],
                          dtype=np.float64).reshape(len(sets), len(names))
        n = len(next(iter(markets.values())).close)
        features = as_features(self.name, self._preparing(sets[0]).prepare_basket(markets, weights), n,
                               "prepare_basket()")
        mask = as_mask(self.name, self.rebalance_basket(markets, sets), n)
        return StrategySpec(ensure_basket_compiled(hook_of(type(self))), np.ascontiguousarray(matrix),
                            features, mask, names, self.labels(sets, validated=True))


class BetaHedged(BasketStrategy):
    """A basket strategy that sizes a hedge on ``hedge_coin`` by each coin's rolling beta on it: its features are
    one column per coin of the account, the beta of the coin's hourly index log returns on the hedge coin's
    over the last ``beta_window`` bars (1 for the hedge coin itself; NaN while fewer than 24 are known).
    Subclasses declare ``beta_window = Param(..., feature=True)``."""

    hedge_coin = "BTC"

    def feature_names(self, coins: tuple) -> tuple:
        return tuple(f"beta.{c}/{self.hedge_coin}" for c in coins)

    def prepare_basket(self, markets: dict, weights: np.ndarray) -> np.ndarray:
        from hedgelab.strategies.features import rolling_beta
        ref = markets[self.hedge_coin].index_close
        return np.column_stack([np.ones(len(ref)) if coin == self.hedge_coin else
                                rolling_beta(m.index_close, ref, self.beta_window) for coin, m in markets.items()])


def ensure_basket_compiled(hook):
    """The hook compiled with BASKET_HOOK_SIG (compiles a lazily-typed @njit hook; rejects anything else)."""
    if numba.config.DISABLE_JIT and callable(hook):
        return hook
    sigs = getattr(hook, "signatures", None)
    if sigs is None or not hasattr(hook, "compile"):
        raise TypeError("a basket strategy's decide_nb must be a numba @njit(BASKET_HOOK_SIG) function "
                        "wrapped in staticmethod")
    if tuple(BASKET_HOOK_SIG.args) not in [tuple(s) for s in sigs]:
        hook.compile(BASKET_HOOK_SIG.args)
    return hook


def parse_basket(text) -> dict:
    """``"BTC=0.3,ETH=0.4,SOL=0.3"`` (or a dict) -> {coin: weight}: weights > 0 that sum to 1 (within
    1e-9), coins named once; a mistake is one line naming the entry."""
    items = text.items() if isinstance(text, dict) else [
        part.split("=", 1) if "=" in part else (part, None) for part in str(text).split(",") if part.strip()]
    basket: dict = {}
    for coin, weight in items:
        coin = str(coin).strip().upper()
        if not coin or weight is None:
            raise UserError(f"--basket {text!r}: expected COIN=WEIGHT entries, e.g. BTC=0.3,ETH=0.4,SOL=0.3")
        try:
            w = float(weight)
        except (TypeError, ValueError):
            raise UserError(f"--basket: weight of {coin} {weight!r} is not a number") from None
        if not np.isfinite(w) or w <= 0.0:
            raise UserError(f"--basket: weight of {coin} must be a positive number, got {weight!r}")
        if coin in basket:
            raise UserError(f"--basket: {coin} is named twice")
        basket[coin] = w
    if not basket:
        raise UserError("--basket: no coins given (e.g. --basket BTC=0.3,ETH=0.4,SOL=0.3)")
    total = sum(basket.values())
    if abs(total - 1.0) > 1e-9:
        raise UserError(f"--basket: weights must sum to 1, they sum to {total:g} "
                        f"({', '.join(f'{c}={w:g}' for c, w in basket.items())})")
    return basket
