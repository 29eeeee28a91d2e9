"""Discovery: built-ins, a user folder, entry points; broken plugins are reported by name."""
import sys
import textwrap

import numpy as np
import pytest

from hedgelab.core.errors import UserError
from hedgelab.strategies import BASKET_BUILTINS, BUILTINS, ENTRY_POINT_GROUP, discover, get_strategy

GOOD_HOOK_PLUGIN = '''
"""A numba plugin."""
from numba import njit
from hedgelab.engine.types import HOOK_SIG, Intent, State
from hedgelab.strategies import Param, Strategy
from hedgelab.strategies.builtin.hold import Hold  # imported, must not be registered twice


@njit(HOOK_SIG, cache=False)
def half_nb(i, state, params, features, intent):
    intent[Intent.TARGET_SPOT] = params[0] * state[State.EQUITY] / state[State.CLOSE]


class HalfSpot(Strategy):
    """Keeps a share of equity in spot."""
    name = "half-spot"
    share = Param(0.5, low=0.0, high=1.0)
    decide_nb = staticmethod(half_nb)
'''

PREPARE_RAISES = '''
from hedgelab.strategies import Strategy


class Exploding(Strategy):
    """Raises in prepare."""
    name = "exploding"

    def prepare(self, market):
        raise RuntimeError("boom in prepare")
'''


def write(folder, name, text):
    (folder / name).write_text(textwrap.dedent(text))


def test_builtins_are_found_in_order_with_descriptions():
    found = discover(entry_points=False)
    assert tuple(found.strategies) == BUILTINS + BASKET_BUILTINS
    assert found.failures == []
    for cls in found.strategies.values():
        assert cls.description and cls.__doc__
        assert found.sources[cls.name] == "builtin"


def test_user_folder_good_and_broken_plugins(tmp_path, helpers):
    write(tmp_path, "half.py", GOOD_HOOK_PLUGIN)
    write(tmp_path, "broken_import.py", "import not_a_module_anywhere\n")
    write(tmp_path, "exits.py", "raise SystemExit(3)\n")
    write(tmp_path, "bad_default.py", "from hedgelab.strategies import Param, Strategy\n"
                                      "class Bad(Strategy):\n    name = 'bad'\n    x = Param(2.0, high=1.0)\n")
    write(tmp_path, "no_name.py", "from hedgelab.strategies import Strategy\nclass Nameless(Strategy):\n"
                                  "    pass\n")
    write(tmp_path, "dup.py", "from hedgelab.strategies import Strategy\nclass Hold2(Strategy):\n"
                              "    name = 'hold'\n")
    write(tmp_path, "plain_hook.py", "from hedgelab.strategies import Strategy\nclass P(Strategy):\n"
                                     "    name = 'plain-hook'\n    decide_nb = staticmethod(lambda *a: None)\n")
    write(tmp_path, "exploding.py", PREPARE_RAISES)
    write(tmp_path, "family.py", "from hedgelab.strategies import Param, Strategy\n"
                                 "class Base(Strategy):\n    x = Param(1.0)\n"       # nameless shared base
                                 "class Child(Base):\n    name = 'child'\n")
    (tmp_path / "trend_hedge.py").write_text((helpers.fixtures / "trend_hedge.py").read_text())

    found = discover(tmp_path, entry_points=False)

    assert list(found.strategies) == [*BUILTINS, *BASKET_BUILTINS, "exploding", "child", "half-spot", "trend-hedge"]
    reasons = {f.name: f.reason for f in found.failures}
    assert reasons["broken_import"].startswith("ModuleNotFoundError: No module named 'not_a_module_anywhere'")
    assert reasons["exits"] == "SystemExit: 3"
    # a file that fails to import is listed under the strategy names it declares, not its file name
    assert reasons["bad"].startswith("TypeError: bad default: parameter 'x' of bad must be <= 1.0")
    assert reasons["no_name"] == "class attribute 'name' (the CLI id) is missing"
    assert reasons["hold"] == "name 'hold' is already taken by builtin"
    assert "numba @njit(HOOK_SIG)" in reasons["plain-hook"]
    assert len(found.failures) == 6
    assert all(str(tmp_path) in f.source for f in found.failures)
    # the plugin whose prepare raises loads, and fails by name only when it is run
    with pytest.raises(RuntimeError, match="boom in prepare"):
        found.strategies["exploding"]().spec(helpers.make_market(np.full(4, 100.0)))


def test_get_strategy_suggests_and_reports_load_failures(tmp_path):
    with pytest.raises(UserError, match=r"unknown strategy 'perp-hegde'; did you mean 'perp-hedge'\?"):
        get_strategy("perp-hegde")
    write(tmp_path, "broken.py", "raise ValueError('bad config')\n")
    with pytest.raises(UserError, match=r"strategy 'broken' failed to load from .*broken.py: ValueError: bad config"):
        get_strategy("broken", strategies_dir=tmp_path)
    with pytest.raises(UserError, match="strategies folder not found"):
        get_strategy("hold", strategies_dir=tmp_path / "missing")


def test_user_plugin_hook_gets_compiled_and_runs(tmp_path, helpers):
    write(tmp_path, "half.py", GOOD_HOOK_PLUGIN)
    cls = get_strategy("half-spot", strategies_dir=tmp_path)
    spec = cls().spec(helpers.make_market(np.full(3, 200.0)), [{"share": 0.5}])
    # rule: target spot = share * equity / close = 0.5 * 1000 / 200 = 2.5 BTC
    intent = helpers.call_hook(spec.hook, helpers.make_state(equity=1000.0, close=200.0), spec.params[0])
    assert intent[0] == pytest.approx(2.5)


def test_entry_point_plugins(tmp_path, monkeypatch):
    pkg = tmp_path / "ep_plugin_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(textwrap.dedent('''
        from hedgelab.strategies import Param, Strategy

        class FromPackage(Strategy):
            """Installed through an entry point."""
            name = "from-package"
            x = Param(1.0)
    '''))
    dist = tmp_path / "ep_plugin_pkg-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: ep-plugin-pkg\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\n"
        "from-package = ep_plugin_pkg:FromPackage\n"
        "whole-module = ep_plugin_pkg\n"
        "missing = ep_plugin_missing_module:Thing\n"
        "not-a-strategy = textwrap:dedent\n")
    monkeypatch.syspath_prepend(str(tmp_path))

    found = discover()

    assert found.strategies["from-package"].__name__ == "FromPackage"
    assert found.sources["from-package"] == "entry point from-package = ep_plugin_pkg:FromPackage"
    reasons = {f.name: f.reason for f in found.failures}
    assert "from-package" not in reasons  # the module entry point yields the same class: not a clash
    assert reasons["missing"].startswith("ModuleNotFoundError")
    assert reasons["not-a-strategy"] == "TypeError: textwrap:dedent is not a Strategy subclass or a module of them"
    assert set(BUILTINS) <= set(found.strategies)
    assert len(found.failures) == 2
    sys.modules.pop("ep_plugin_pkg", None)


def test_a_user_file_is_loaded_once_per_version(tmp_path):
    path = tmp_path / "counted.py"
    path.write_text("import builtins\nbuiltins.hedgelab_loads = getattr(builtins, 'hedgelab_loads', 0) + 1\n"
                    "from hedgelab.strategies import Strategy\nclass C(Strategy):\n    name = 'counted'\n")
    import builtins
    builtins.hedgelab_loads = 0
    first = discover(tmp_path, entry_points=False).strategies["counted"]
    assert discover(tmp_path, entry_points=False).strategies["counted"] is first
    assert builtins.hedgelab_loads == 1
    path.write_text(path.read_text() + "# edited, longer file\n")
    assert discover(tmp_path, entry_points=False).strategies["counted"] is not first
    assert builtins.hedgelab_loads == 2
    del builtins.hedgelab_loads


def test_a_plugin_whose_prepare_raises_is_reported_by_name_and_the_rest_runs(tmp_path):
    import hedgelab

    write(tmp_path, "exploding.py", PREPARE_RAISES)
    write(tmp_path, "broken_import.py", "import not_a_module_anywhere\n")
    result = hedgelab.compare(["hold", "exploding", "broken_import"], strategies_dir=tmp_path,
                              start="2025-10-08", end="2025-10-09")
    assert set(result.failures) == {"exploding", "broken_import"}
    assert "boom in prepare" in result.failures["exploding"]
    assert "not_a_module_anywhere" in result.failures["broken_import"]
    ok = result.summary[result.summary["error"].isna()]
    assert list(ok["strategy"]) == ["hold"] and ok["final_equity"].iloc[0] > 0
