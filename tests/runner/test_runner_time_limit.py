"""The run's time limit (runner/execute.py): its alarm must not raise inside numba's compiler or
llvmlite, where an exception can leave llvmlite's process-wide lock held and every later compile on a
Dask worker thread waits forever (seen: a suite hung in stress/basket's Dask test after a --timeout test)."""
import sys

import pytest

from hedgelab.runner import execute


def _frame_of_module(name: str):
    """A live frame whose code runs as module ``name`` (what the alarm's handler is given)."""
    scope = {"__name__": name, "sys": sys}
    exec("def here():\n    return sys._getframe()\n", scope)
    return scope["here"]()


@pytest.mark.parametrize("module", ["llvmlite.binding.ffi", "numba.core.compiler", "numba"])
def test_frames_of_the_compiler_are_left_to_finish(module):
    assert execute._in_compiler(_frame_of_module(module))


@pytest.mark.parametrize("module", ["hedgelab.runner.execute", "my_plugin", "numbat", "__main__"])
def test_other_frames_may_be_interrupted(module):
    assert not execute._in_compiler(_frame_of_module(module))


@pytest.mark.skipif(not hasattr(execute.signal, "setitimer"), reason="no SIGALRM timers on this platform")
def test_the_alarm_defers_inside_the_compiler_and_stops_the_run_elsewhere():
    signal = execute.signal
    with execute.time_limit(3600) as deadline:
        ring = signal.getsignal(signal.SIGALRM)
        deadline.start -= 7200   # past its limit
        ring(signal.SIGALRM, _frame_of_module("llvmlite.binding.ffi"))     # let be: no exception
        with pytest.raises(execute._Expired):
            ring(signal.SIGALRM, _frame_of_module("my_plugin"))
        deadline.done = True     # nothing more to stop: the block ends normally
    assert signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, None)   # disarmed


@pytest.mark.skipif(not hasattr(execute.signal, "setitimer"), reason="no SIGALRM timers on this platform")
def test_the_alarm_is_off_after_a_limit_that_ran_out():
    signal = execute.signal
    for _ in range(20):   # limits that end while the alarm is ringing
        with pytest.raises(execute.RunTimeout):
            with execute.time_limit(0.001):
                while True:
                    pass
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
        assert signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, None)
