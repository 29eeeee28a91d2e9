"""A basket strategy's runs: every parameter set as its own account holding the run's coins
(``hedgelab.engine.basket.simulate_basket``), one simulation per group of equal feature parameters,
in this process. (Sweeps of basket strategies do not yet go to Dask workers: ``--cluster`` is for
one-coin strategies.)"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from hedgelab.reports.record import basket_record, long_legs
from hedgelab.reports.run import RunRecord

if TYPE_CHECKING:
    from tqdm.auto import tqdm

    from hedgelab.runner.prepare import Job, Prepared


def run_basket_job(run: Prepared, job: Job, labels: tuple, summary_only: bool, bar: tqdm) -> list[RunRecord]:
    """One RunRecord per parameter set of ``job`` (in the order given)."""
    from hedgelab.engine.basket import simulate_basket
    from hedgelab.strategies.basket import BasketStrategy
    cls = job.cls
    assert cls is not None and issubclass(cls, BasketStrategy) and run.opts.basket is not None
    basket = run.opts.basket
    markets = {coin: run.markets[coin] for coin in cls.coins(basket)}
    sets = list(job.param_sets)
    records: list[Any] = [None] * len(sets)
    for group in cls.feature_groups(sets, validated=True):
        spec = cls().basket_spec(markets, basket, [sets[k] for k in group])
        spec = spec._replace(labels=tuple(labels[k] for k in group))
        res = simulate_basket(markets, spec, venue=run.opts.venue, margin_mode=job.margin_mode,
                              capital=run.opts.capital, costs=run.costs, summary_only=summary_only)
        names = cls().feature_names(tuple(markets))
        features = (pd.DataFrame(spec.features, index=res.time, columns=list(names))
                    if names is not None and len(names) == spec.features.shape[1] else None)
        for j, k in enumerate(group):
            records[k] = basket_record(res, j, labels[k], job.name, sets[k], run.opts.capital)
            records[k].features = features
            if records[k].coins is not None:   # the long leg market-neutrality is measured against
                legs = long_legs(records[k].coins, markets)
                if legs is not None:
                    records[k].coins["long_exposure"] = legs
        bar.update(len(group))
    return records
