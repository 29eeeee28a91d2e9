import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = (REPO / ".." / "shared").resolve()
CRISIS = SHARED / "data" / "crisis-2025"


def require_shared(path: Path = CRISIS) -> Path:
    """The shared reference data, or a skip (a failure under CI=true, where it must be present)."""
    if not path.exists():
        reason = f"reference data not found at {path} (expected ../shared beside the repository)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@pytest.fixture
def shared_dir() -> Path:
    """Path to ../shared/data/crisis-2025 (skips without it; fails under CI=true)."""
    return require_shared()
