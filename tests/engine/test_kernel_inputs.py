"""The kernel's inputs travel by name (engine/kernel_inputs.py); the one positional list, at the call of
simulate_nb, is in the kernel's own order."""
import ast
import inspect

import numba
import numpy as np

from hedgelab.engine import debug, warmup
from hedgelab.engine.kernel_inputs import KernelInputs, kernel_args
from hedgelab.engine.nb.records import Out, Sum, event_dt
from hedgelab.engine.costs import Costs
from hedgelab.engine.simulate import build_inputs
from hedgelab.engine.venues import tier_schedule
from hedgelab.strategies.testing import synthetic_market


def _kernel():
    return warmup.load_kernel()


def test_kernel_args_are_in_simulate_nbs_parameter_order():
    names = list(inspect.signature(_kernel().simulate_nb.py_func).parameters)
    # each field holds its own name: the list built must read as the kernel's parameter names
    by_name = KernelInputs(*KernelInputs._fields)
    assert kernel_args(by_name, "out", "summary", "events") == tuple(names)


def test_the_plain_python_column_run_passes_simulate_column_nb_every_parameter_by_name():
    params = set(inspect.signature(_kernel().simulate_column_nb.py_func).parameters)
    tree = ast.parse(inspect.getsource(debug.run_column))
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
             and n.func.attr == "py_func"]
    assert len(calls) == 1 and not calls[0].args
    assert {k.arg for k in calls[0].keywords} == params


def _inputs(ncols=5, paths=1):
    from hedgelab.engine.hooks import replay_nb
    from hedgelab.engine.spec import StrategySpec
    market = synthetic_market(np.linspace(100_000.0, 90_000.0, 48))
    n = len(market.time_ns)
    spec = StrategySpec(replay_nb, np.arange(ncols * 2, dtype=float).reshape(ncols, 2), np.full((n, 1), -0.5),
                        np.ones(n, dtype=bool), ("a", "b"), ())
    t = np.asarray(market.time_ns).view("datetime64[ns]")
    schedule = tier_schedule("binance", str(t[0])[:10], str(t[-1])[:10])
    return build_inputs(market, spec, schedule, np.asarray(market.time_ns), margin_mode="isolated",
                        capital=1e5, costs=Costs().validate(), paths=[market] * (paths - 1),
                        path_of_column=np.arange(ncols) % paths)


def test_built_inputs_have_the_kernels_types():
    inputs = _inputs()
    n = inputs.market.shape[2]
    out, summary = np.empty((2, Out.N, n)), np.zeros((2, Sum.N))
    events = np.empty((2, 8), dtype=event_dt)
    args = kernel_args(inputs.columns(1, 3), out, summary, events)
    sig = _kernel().SIMULATE_SIG.args
    assert len(args) == len(sig)
    for name, arg, want in zip(KernelInputs._fields[1:] + ("out", "summary", "events"), args[1:], sig[1:]):
        assert numba.typeof(arg) == want, name


def test_a_chunk_is_its_columns_with_the_runs_column_numbers():
    inputs = _inputs(ncols=5, paths=2)
    chunk = inputs.columns(2, 4)
    assert chunk.col_offset == 2 and chunk.n_columns == 2
    assert np.array_equal(chunk.params, inputs.params[2:4]) and chunk.params.flags.c_contiguous
    assert np.array_equal(chunk.path_of_column, [0, 1])
    assert chunk.market is inputs.market and chunk.features is inputs.features  # shared, not copied
    mk, row, col = chunk.columns(1, 2).column(0)   # a chunk of a chunk keeps the run's numbering
    assert col == 3 and np.array_equal(row, inputs.params[3])
    assert np.shares_memory(mk, inputs.market[1]) and np.array_equal(mk, inputs.market[1], equal_nan=True)
