"""python -m hedgelab.data.crisis2025: regenerate the embedded crisis-2025 files."""
import time

from .build import build

t0 = time.perf_counter()
out = build()
print(f"wrote {out} in {time.perf_counter() - t0:.2f} s")
