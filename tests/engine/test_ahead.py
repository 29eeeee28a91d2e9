"""The callees compiled ahead on a fresh install are the kernel's, with the signatures it calls them with.

The signatures are read from numba's own type inference of the kernel (``simulate_nb`` from its
declared signature, then the column it calls), not from a list kept by hand: a drifted entry in
``engine/nb/ahead.py`` would only cost first-run time, so nothing else would notice it.
"""
from numba import types
from numba.core.compiler import CompilerBase, DefaultPassBuilder, Flags
from numba.core.errors import CompilerError
from numba.core.registry import cpu_target
from numba.core.typed_passes import NopythonTypeInference

from hedgelab.engine.nb import ahead
from hedgelab.engine.nb import simulate


class TypeOnly(CompilerBase):
    """numba's own passes up to type inference (callees are typed, and compiled or loaded from the
    cache, as they are for the kernel), without lowering the function itself."""

    def define_pipelines(self):
        pm = DefaultPassBuilder.define_untyped_pipeline(self.state)
        pm.add_pass(NopythonTypeInference, "nopython frontend")
        pm.finalize()
        return [pm]


def called(py_func, argtypes):
    """{dispatcher: [argument types, ...]} of every jitted function ``py_func`` calls when typed with
    ``argtypes``."""
    typing, target = cpu_target.typing_context, cpu_target.target_context
    typing.refresh()
    target.refresh()
    pipeline = TypeOnly(typing, target, None, tuple(argtypes), None, Flags(), {})
    pipeline.state.cr = None
    try:
        pipeline.compile_extra(py_func)
    except CompilerError as exc:  # "pipelines exhausted": no compile result, as nothing was lowered
        assert "exhausted" in str(exc), exc
    typed = pipeline.state
    calls = {}
    for expr, sig in typed.calltypes.items():
        if getattr(expr, "op", None) != "call":
            continue
        callee = typed.typemap[expr.func.name]
        if isinstance(callee, types.Dispatcher):
            calls.setdefault(callee.dispatcher, []).append(tuple(sig.args))
    return calls


def test_every_callee_compiled_ahead_is_called_by_the_kernel_with_that_signature():
    kernel_calls = called(simulate.simulate_nb.py_func, simulate.SIMULATE_SIG.args)
    (column_args,) = set(kernel_calls[simulate.simulate_column_nb])
    column_calls = called(simulate.simulate_column_nb.py_func, column_args)
    calls = {d: set(sigs) for d, sigs in {**kernel_calls, **column_calls}.items()}
    for group in ahead.GROUPS:
        for dispatcher, args in ahead.callees(group):
            assert dispatcher in calls, f"{group}: the kernel does not call {dispatcher.__name__}"
            assert calls[dispatcher] == {tuple(args)}, (
                f"{group}: {dispatcher.__name__} is called with {calls[dispatcher]}, compiled ahead with {args}")


def test_the_groups_cover_every_separately_compiled_callee_of_the_column():
    # inline="always" callees are copied into the column and compile with it; the rest are ahead
    column_args = next(iter(called(simulate.simulate_nb.py_func, simulate.SIMULATE_SIG.args)
                            [simulate.simulate_column_nb]))
    separate = {d.__name__ for d in called(simulate.simulate_column_nb.py_func, column_args)
                if d.targetoptions.get("inline", "never") == "never"} - {"simulate_column_nb"}
    ahead_names = {d.__name__ for group in ahead.GROUPS for d, _ in ahead.callees(group)}
    assert separate <= ahead_names, separate - ahead_names
