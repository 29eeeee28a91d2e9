"""build(): write the generated crisis-2025 files into data/builtin/crisis-2025 (atomically)."""
import json
import os
import shutil
import tempfile
from pathlib import Path

from .generator import NAME, generate

OUT = Path(__file__).resolve().parents[1] / "builtin" / NAME


def build(out: Path = OUT) -> Path:
    bars, funding, iv, man = generate()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{NAME}-", dir=out.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; the shipped directory must be readable
    try:
        for name, df in (("bars", bars), ("funding", funding), ("iv", iv)):
            df.to_parquet(tmp / f"{name}.parquet", engine="pyarrow", compression="zstd")
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
