"""One strike form per run for the built-in option strategies: a fraction of the forward (the
default), a target delta or USD (``engine/nb/option_forms.py``), given by alternative parameters of
which a run sets one; the other forms stay at their default (0 = not used for delta and USD)."""
from hedgelab.core.errors import UserError


def one_strike_form(cls, overrides: dict | None, forms: tuple) -> None:
    """UserError when ``overrides`` sets more than one of the ``forms`` (parameter names: the fraction
    first, then the alternatives, whose 0 means "not used"). The fraction counts as set when it differs
    from its default (a full set of values, as a validated run hands back, names every parameter)."""
    overrides = overrides or {}
    default = cls.params()[forms[0]].default
    given = [k for k in forms if k in overrides and _differs(overrides[k], default if k == forms[0] else 0.0)]
    if len(given) > 1:
        raise UserError(f"parameters {' and '.join(repr(k) for k in given)} of {cls.name} give the same strike two "
                        f"ways; give one of {', '.join(forms)} ({forms[0]}: a fraction of the forward; "
                        f"the others: a target delta or USD)")


def _differs(value, unused) -> bool:
    try:
        return float(value) != unused
    except (TypeError, ValueError):
        return True  # not a number: the parameter's own check names it


def strike_label(cls, values: dict, shown, first, fraction: tuple, alternatives: tuple) -> str | None:
    """``cls``'s label, showing the alternative strike parameters a run uses instead of the fraction ones
    (which ``label_params`` would always show, though they are not the strike then); the parameters
    ``first`` (those that vary across the runs) lead, as in ``Strategy.label``."""
    used = [k for k in alternatives if values[k] != 0.0]
    if not used:
        return None
    show = (set(cls.label_params) | set(shown) | set(used)) - set(fraction)
    rest = [k for k in cls.params() if k in show and k not in first]
    inner = ",".join(f"{k}={values[k]:g}" for k in [*first, *rest])
    return f"{cls.name}({inner})"
