"""Parameter declaration, validation and error messages."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hedgelab.core.errors import UserError
from hedgelab.strategies import Param, Strategy, get_strategy


class Demo(Strategy):
    """Demo strategy.

    Longer text that is not the description.
    """

    name = "demo"
    ratio = Param(0.5, low=0.0, high=1.0, grid=(0.25, 0.5), doc="a ratio")
    count = Param(3, type=int, low=1)
    flag = Param(False, type=bool)
    mode = Param("fast", type=str, choices=("fast", "slow"))


def test_params_are_ordered_and_described():
    assert list(Demo.params()) == ["ratio", "count", "flag", "mode"]
    assert Demo.description == "Demo strategy."
    assert Demo.default_grid() == {"ratio": [0.25, 0.5]}
    assert Demo().ratio == 0.5 and Demo(ratio=0.75).ratio == 0.75


def test_subclass_inherits_and_overrides_params():
    class Child(Demo):
        name = "child"
        ratio = Param(0.9, low=0.0, high=1.0)
        extra = Param(1.0)

    assert list(Child.params()) == ["ratio", "count", "flag", "mode", "extra"]
    assert Child.defaults()["ratio"] == 0.9


def test_unknown_parameter_suggests_the_closest_name():
    PerpHedge = get_strategy("perp-hedge")
    with pytest.raises(UserError) as err:
        PerpHedge.validate({"hedge_ratoi": 0.3})
    assert str(err.value) == "unknown parameter 'hedge_ratoi' for perp-hedge; did you mean 'hedge_ratio'?"


def test_unknown_parameter_without_a_close_match_lists_the_parameters():
    with pytest.raises(UserError, match=r"unknown parameter 'zzz' for demo \(parameters: ratio, count"):
        Demo.validate({"zzz": 1})


@pytest.mark.parametrize("overrides, message", [
    ({"ratio": 1.5}, "parameter 'ratio' of demo must be <= 1.0, got 1.5"),
    ({"ratio": -0.1}, "parameter 'ratio' of demo must be >= 0.0, got -0.1"),
    ({"ratio": "abc"}, "parameter 'ratio' of demo must be a number, got 'abc'"),
    ({"ratio": float("nan")}, "parameter 'ratio' of demo must be finite"),
    ({"count": 2.5}, "parameter 'count' of demo must be an integer, got 2.5"),
    ({"count": 0}, "parameter 'count' of demo must be >= 1, got 0"),
    ({"flag": "maybe"}, "parameter 'flag' of demo must be true or false, got 'maybe'"),
    ({"mode": "medium"}, "parameter 'mode' of demo must be one of fast, slow; got 'medium'"),
])
def test_type_range_and_choice_errors_name_the_parameter(overrides, message):
    with pytest.raises(UserError) as err:
        Demo.validate(overrides)
    assert str(err.value).startswith(message)


def test_strings_from_the_command_line_are_converted():
    values = Demo.validate({"ratio": "0.25", "count": "4", "flag": "yes", "mode": "slow"})
    assert values == {"ratio": 0.25, "count": 4, "flag": True, "mode": "slow"}


def test_cross_parameter_rules_of_builtins():
    with pytest.raises(UserError, match="put_moneyness"):
        get_strategy("collar").validate({"put_moneyness": 1.2, "call_moneyness": 1.1})
    with pytest.raises(UserError) as err:
        get_strategy("delever").validate({"low_leverage": 30})
    assert str(err.value) == "parameter 'low_leverage' of delever must be <= 'high_leverage' (30 vs 5)"
    assert get_strategy("delever").validate({"low_leverage": 5})["low_leverage"] == 5  # equal is allowed
    with pytest.raises(UserError, match="roll_days"):
        get_strategy("protective-put").validate({"tenor_days": 5})


def test_bad_declarations_fail_at_class_creation():
    with pytest.raises(TypeError):
        Param("a", type=str)  # a str parameter needs choices
    with pytest.raises(TypeError, match="bad default: parameter 'x' of bad must be <= 1"):
        class Bad(Strategy):
            name = "bad"
            x = Param(2.0, high=1.0)
    # a text default without type=str: the message says how to declare it (a plugin author's first try)
    with pytest.raises(TypeError, match=r"must be a number, got 'short'; a text parameter is declared with "
                                        r"type=str: Param\('short', type=str, ...\)"):
        class Side(Strategy):
            name = "side"
            side = Param("short", choices=("short", "long"))


def test_parameters_are_read_only_on_instances():
    with pytest.raises(AttributeError):
        Demo().ratio = 0.1


@settings(max_examples=50, deadline=None)
@given(st.floats(min_value=0.0, max_value=1.0, allow_nan=False))
def test_a_valid_value_given_as_text_validates_to_itself(x):
    # what the CLI passes (-p ratio=<repr>) must come back as the same float
    assert Demo.validate({"ratio": repr(x)})["ratio"] == x
    assert Demo.validate({"ratio": x})["ratio"] == x
