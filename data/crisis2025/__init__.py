"""The embedded crisis-2025 dataset: a seeded reconstruction of BTC, Sep 1 - Nov 30 2025, with ETH,
SOL, XRP, DOGE and BNB reconstructed around it (alts.py, anchored to alt_anchors.py).

`generate(seed)` returns BTC's (bars, funding, iv, manifest), the manifest with the alts' entries in
"coins"; `generate_all(seed)` adds {coin: (bars, funding, iv)}; `build()` writes
data/builtin/crisis-2025 (the alts under coins/<COIN>/).
"""
from .anchors import FACTS
from .build import build
from .generator import SEED, generate, generate_all

__all__ = ["FACTS", "SEED", "build", "generate", "generate_all"]
