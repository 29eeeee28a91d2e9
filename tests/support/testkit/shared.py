"""The read-only reference data beside the repository (../shared), for tests."""
import os
from pathlib import Path

import pytest

SHARED = (Path(__file__).resolve().parents[3] / ".." / "shared").resolve()


def require(path: Path) -> Path:
    """``path`` under ../shared, or a skip (a failure under CI=true, where it must be present)."""
    if not path.exists():
        reason = f"reference data not found at {path} (expected ../shared beside the repository)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return path
