"""RunOptions: one resolution for the CLI and the API. Each config below goes through ``hedgelab run``
/ ``sweep`` / ``compare`` and through ``hedgelab.run`` / ``sweep`` / ``compare``; both must hand the
runner the same options and the same jobs (strategy, parameters)."""
import dataclasses
from pathlib import Path

import pytest

import hedgelab
from hedgelab import api
from hedgelab.cli import main
from hedgelab.core.errors import UserError
from hedgelab.runner.options import DEFAULT_STRESS_PATHS, RunOptions, StressSpec, resolve


class Caught(Exception):
    pass


@pytest.fixture
def caught(monkeypatch):
    """The (options, config, job) the runner would get, from whichever door; nothing runs."""
    seen = []

    def grab(kind):
        def stop(opts, conf, *args, **kwargs):
            seen.append((kind, opts, conf, args))
            raise Caught
        return stop
    for kind in ("run", "compare", "sweep"):
        monkeypatch.setattr(api, f"{kind}_with", grab(kind))
    return seen


CONFIGS = {
    "flat params": 'strategy = "perp-hedge"\ncapital = 50000\n[params]\nhedge_ratio = 0.3\n',
    "own table": 'strategy = "perp-hedge"\n[params.perp-hedge]\nhedge_ratio = 0.4\n[params.hold]\nx = 1\n',
    "dates, venue and costs": ('strategy = "hold"\nstart = "2025-10-01"\nend = 2025-10-05\nvenue = "bybit"\n'
                               'margin_mode = "cross"\n[costs]\nhalf_spread = 0.0002\n'),
    "stress keys": 'strategy = "hold"\nstress = "scenario:oct10-2025"\nstress_paths = 7\nstress_seed = 3\n',
    "folders relative to the file": 'strategy = "hold"\nstore = "store"\nstrategies_dir = "plugins"\n',
}


def _write(tmp_path, text) -> Path:
    (tmp_path / "store").mkdir(exist_ok=True)
    (tmp_path / "plugins").mkdir(exist_ok=True)
    path = tmp_path / "c.toml"
    path.write_text(text)
    return path


def _through_cli(argv, seen):
    with pytest.raises(Caught):
        main(argv)
    return seen.pop()


def _through_api(call, seen):
    with pytest.raises(Caught):
        call()
    return seen.pop()


def _same(cli, api_):
    kind_c, opts_c, conf_c, args_c = cli
    kind_a, opts_a, conf_a, args_a = api_
    assert kind_c == kind_a
    # the interfaces differ only where they must: the CLI prints progress and picks an output folder
    assert dataclasses.replace(opts_c, quiet=True, out=None) == opts_a
    assert conf_c == conf_a and args_c == args_a


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_run_reads_a_config_the_same_way_from_the_cli_and_the_api(tmp_path, caught, name):
    path = _write(tmp_path, CONFIGS[name])
    cli = _through_cli(["run", "--config", str(path), "--out", str(tmp_path / "o")], caught)
    from_api = _through_api(lambda: hedgelab.run(config=path), caught)
    _same(cli, from_api)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_sweep_reads_a_config_the_same_way_from_the_cli_and_the_api(tmp_path, caught, name):
    path = _write(tmp_path, CONFIGS[name] + "\n[grid]\nleverage = [1, 2]\n")
    cli = _through_cli(["sweep", "--config", str(path), "--out", str(tmp_path / "o")], caught)
    from_api = _through_api(lambda: hedgelab.sweep(config=path), caught)
    _same(cli, from_api)


def test_compare_reads_per_strategy_tables_the_same_way(tmp_path, caught):
    path = _write(tmp_path, 'strategies = ["hold", "perp-hedge"]\n[params.perp-hedge]\nhedge_ratio = 0.3\n')
    cli = _through_cli(["compare", "--config", str(path), "--out", str(tmp_path / "o")], caught)
    from_api = _through_api(lambda: hedgelab.compare(config=path), caught)
    _same(cli, from_api)


def test_flags_and_keyword_arguments_win_over_the_config_alike(tmp_path, caught):
    path = _write(tmp_path, CONFIGS["flat params"])
    cli = _through_cli(["run", "--config", str(path), "--capital", "7000", "--venue", "hyperliquid",
                        "-p", "hedge_ratio=0.9", "--out", str(tmp_path / "o")], caught)
    from_api = _through_api(lambda: hedgelab.run(params={"hedge_ratio": 0.9}, capital=7000.0,
                                                 venue="hyperliquid", config=path), caught)
    _same(cli, from_api)
    assert from_api[1].capital == 7000.0 and from_api[3][1] == {"hedge_ratio": 0.9}


def test_config_values_and_defaults_land_where_expected(tmp_path):
    opts, conf = resolve(_write(tmp_path, CONFIGS["stress keys"] + 'store = "store"\n'), where="run()")
    assert opts.stress == StressSpec("scenario", "oct10-2025", 7, 3)
    assert opts.store == tmp_path / "store"          # relative to the config file, not the working folder
    assert opts.capital == RunOptions.capital and opts.data == "crisis-2025"
    opts, _ = resolve(None, {"stress": "bootstrap"}, where="run()")
    assert opts.stress == StressSpec("bootstrap", None, DEFAULT_STRESS_PATHS, 0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        opts.capital = 1.0


@pytest.mark.parametrize("kwargs, fragment", [
    ({"capital": True}, "run(): capital True is not a number"),
    ({"start": 20251001}, "run(): start = 20251001: must be a date"),
    ({"no_costs": "false"}, "run(): no_costs = 'false': must be true or false"),
    ({"margin_mode": "portfolio"}, "run(): margin_mode = 'portfolio'"),
    ({"venue": ""}, "run(): venue = '': must be a non-empty string"),
    ({"stress": {"method": "bootstrap", "paths": 0}}, "run(): stress_paths must be an integer in [1,"),
])
def test_api_arguments_are_checked_at_the_door_naming_the_argument(kwargs, fragment):
    with pytest.raises(UserError) as info:
        hedgelab.run("hold", **kwargs)
    assert fragment in str(info.value)


def test_cli_errors_name_the_flag(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["run", "hold", "--store", str(tmp_path / "nope"), "--out", str(tmp_path / "o")])
    assert info.value.code == 2
    assert f"--store {tmp_path / 'nope'}: no such folder" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
