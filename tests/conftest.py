from pathlib import Path

import pytest
from testkit.shared import SHARED, require

REPO = Path(__file__).resolve().parents[1]
CRISIS = SHARED / "data" / "crisis-2025"


def require_shared(path: Path = CRISIS) -> Path:
    """The shared reference data, or a skip (a failure under CI=true, where it must be present)."""
    return require(path)


@pytest.fixture
def shared_dir() -> Path:
    """Path to ../shared/data/crisis-2025 (skips without it; fails under CI=true)."""
    return require_shared()
