"""The scenario matrix of a comparison: every strategy that ran, through the named scenarios of
``stress/matrix.py`` on the comparison's prepared market, venue, margin modes, capital and costs.

On by default for ``compare`` (the main job); off with ``--no-scenarios``, ``scenarios=False`` or the config
key ``scenarios = false``. Not made for basket runs (the templates are one coin's) nor with ``--debug`` (a
plain-Python run, where the matrix would wait for the compiled kernel).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from hedgelab.runner.execute import check_time

if TYPE_CHECKING:
    from hedgelab.runner.prepare import Prepared
    from hedgelab.stress.matrix import ScenarioMatrix


def matrix_of(run: Prepared, failures: dict[str, str]) -> ScenarioMatrix | None:
    """The matrix of ``run``'s strategies that ran (one parameter set each, as a comparison runs them)."""
    if run.markets or run.opts.debug:
        return None
    from hedgelab.data.dataset import base_coin
    from hedgelab.stress.matrix import Row, scenario_matrix
    rows = [Row(job.name, job.name, job.cls, dict(job.param_sets[0]), job.margin_mode) for job in run.jobs
            if job.problem is None and job.cls is not None and job.name not in failures and len(job.param_sets) == 1]
    if not rows:
        return None
    m = run.dataset.manifest
    return scenario_matrix(rows, run.market, venue=run.opts.venue, capital=run.opts.capital, costs=run.costs,
                           symbol=run.symbol, coin=base_coin(run.symbol), data=str(m.get("name", run.opts.data)),
                           data_kind=str(m.get("kind", "?")), check=check_time)
