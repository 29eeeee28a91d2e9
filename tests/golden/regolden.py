"""Rewrite the golden runs' expected files: the only way they change (docs/golden-runs.md).

    python tests/golden/regolden.py --why "funding now settles at the bar open" [--only NAME ...]

Runs every case (or the ones named) in this process, rewrites tests/golden/expected/<case>.json, prints which
files changed and the commit command whose message carries the reason.
"""
from pathlib import Path
import argparse
import sys
import tempfile

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))  # testkit, as pytest's pythonpath

from testkit import golden  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--why", required=True, help="why the pinned numbers change (goes into the commit message)")
    ap.add_argument("--only", nargs="*", default=None, help="case names to regenerate (default: all)")
    args = ap.parse_args(argv)
    if not args.why.strip():
        ap.error("--why must say why the golden numbers change")
    cases = golden.CASES
    if args.only:
        unknown = sorted(set(args.only) - {c.name for c in cases})
        if unknown:
            ap.error(f"unknown case(s): {', '.join(unknown)}")
        cases = [c for c in cases if c.name in args.only]
    golden.EXPECTED.mkdir(parents=True, exist_ok=True)
    changed = []
    with tempfile.TemporaryDirectory(prefix="hedgelab-golden-") as tmp:
        store = Path(tmp) / "store"
        if any(c.real for c in cases):
            golden.import_real(store)
        for case in cases:
            path = golden.expected_path(case)
            text = golden.dump(golden.produce(case, store))
            old = path.read_text() if path.exists() else None
            if text != old:
                path.write_text(text)
                changed.append(path)
            print(f"{'changed' if text != old else 'same   '}  {case.name}", flush=True)
    print(f"\n{len(changed)} of {len(cases)} expected files rewritten.")
    if changed:
        why = args.why.replace('"', "'")
        folder = "tests/golden/expected"
        print(f"Review `git diff {folder}`, then commit them with the reason:\n"
              f'  git add {folder} && git commit -m "golden: regolden: {why}" -- {folder}')
    return 0


if __name__ == "__main__":
    sys.exit(main())
