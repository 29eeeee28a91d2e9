"""build(): write the generated crisis-2025 files into data/builtin/crisis-2025 (atomically).

Layout: manifest.json, bars/funding/iv.parquet (BTC, the primary) and coins/<COIN>/bars, funding,
iv.parquet for each alt coin named in the manifest's "coins"; the whole folder is swapped in at once."""
import json
import os
import shutil
import tempfile
from pathlib import Path

from .generator import NAME, generate_all

OUT = Path(__file__).resolve().parents[1] / "builtin" / NAME


def build(out: Path = OUT) -> Path:
    bars, funding, iv, man, coins = generate_all()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{NAME}-", dir=out.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; the shipped directory must be readable
    try:
        _write_frames(tmp, bars, funding, iv)
        for coin, frames in coins.items():
            (tmp / "coins" / coin).mkdir(parents=True)
            _write_frames(tmp / "coins" / coin, *frames)
        (tmp / "manifest.json").write_text(json.dumps(man, indent=1, ensure_ascii=False) + "\n")
        if out.exists():  # swap: the old directory is removed only once the new one is in place
            old = out.with_name(f".{NAME}-old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(out, old)
            try:
                os.replace(tmp, out)
            except BaseException:
                os.replace(old, out)  # put the previous files back
                raise
            shutil.rmtree(old)
        else:
            os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def _write_frames(folder: Path, bars, funding, iv) -> None:
    for name, df in (("bars", bars), ("funding", funding), ("iv", iv)):
        df.to_parquet(folder / f"{name}.parquet", engine="pyarrow", compression="zstd")
