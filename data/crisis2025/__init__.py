"""The embedded crisis-2025 dataset: a seeded reconstruction of BTC, Sep 1 - Nov 30 2025.

`generate(seed)` returns (bars, funding, iv, manifest); `build()` writes data/builtin/crisis-2025.
"""
from .anchors import FACTS
from .build import build
from .generator import SEED, generate

__all__ = ["FACTS", "SEED", "build", "generate"]
