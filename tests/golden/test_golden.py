"""Golden runs: every case of testkit.golden.CASES, run in this process through the Python API, must give
exactly the summary rows and event counts stored in tests/golden/expected/<case>.json.

A difference is a change of the pinned numbers. If it is intended, regenerate them and say why in the
commit (docs/golden-runs.md):  python tests/golden/regolden.py --why "..."
"""
import json

import pytest

from testkit import golden

REAL_STORE = {}


@pytest.fixture
def store(shared_dir, tmp_path_factory):
    """A temp store with the real data imported once through the CLI (for the cases that need it)."""
    assert shared_dir == golden.SHARED
    if "path" not in REAL_STORE:
        path = tmp_path_factory.mktemp("golden") / "store"
        golden.import_real(path)
        REAL_STORE["path"] = path
    return REAL_STORE["path"]


def test_there_are_at_least_30_cases_each_with_its_expected_file():
    names = [c.name for c in golden.CASES]
    assert len(names) >= 30 and len(set(names)) == len(names)
    stored = {p.stem for p in golden.EXPECTED.glob("*.json")}
    assert stored == set(names), "expected files without a case, or cases without a file: run regolden.py"


@pytest.mark.parametrize("case", golden.CASES, ids=lambda c: c.name)
def test_golden_run(case, request):
    store = request.getfixturevalue("store") if case.real else None
    want = json.loads(golden.expected_path(case).read_text())
    got = json.loads(golden.dump(golden.produce(case, store)))
    diff = golden.differences(want, got)
    assert not diff, (f"{case.describe()} no longer gives its pinned numbers:\n  " + "\n  ".join(diff)
                      + '\nIf intended: python tests/golden/regolden.py --why "..." --only ' + case.name)


def test_the_summary_only_sweep_pins_the_same_ranking_numbers_as_the_full_curve_sweep():
    # The two sweeps differ only in the mode: their pinned ranks, runs, final equity, return, max drawdown
    # and liquidations must be the same text (funding/fees are sums in another order: equal to ~1e-15).
    full, quick = (json.loads((golden.EXPECTED / f"{name}.json").read_text())["summary"]
                   for name in ("sweep-perp-hedge", "sweep-perp-hedge-summary-only"))
    keys = ("rank", "run", "final_equity", "total_return", "max_drawdown", "liquidations")
    assert [[r[k] for k in keys] for r in full] == [[r[k] for k in keys] for r in quick]
    assert len({r["max_drawdown"] for r in full}) > 2      # a table of distinct falls, not of zeros
