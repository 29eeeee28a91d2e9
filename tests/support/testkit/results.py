"""Comparing results of the public API."""
import pandas as pd


def assert_identical(result, expected):
    """``result`` ran without failures and its summary, events and equity equal ``expected``'s bit for bit."""
    assert not result.failures
    pd.testing.assert_frame_equal(result.summary, expected.summary, check_exact=True)
    pd.testing.assert_frame_equal(result.events, expected.events, check_exact=True)
    pd.testing.assert_frame_equal(result.equity, expected.equity, check_exact=True)
