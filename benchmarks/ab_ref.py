"""A/B benchmark: ``bench_options.py``'s job on another git revision (default ``main``) and on this tree,
in alternating processes, so that a load on the shared machine falls on both alike.

The revision is exported with ``git archive`` into a temporary folder and imported from there as
``hedgelab`` (a folder of links laid out as pyproject's ``package-dir``); this side imports the installed
``hedgelab`` (the editable install of this tree, whose numba cache it reuses). Each process compiles (or loads) its kernel, then times ``--runs`` warm calls at one thread, in
wall time and in CPU time (``time.process_time``: what the process itself spent, which a busy machine
disturbs far less than the wall clock).

    python benchmarks/ab_ref.py [--ref main] [--rounds 3] [--runs 5] [--columns 16]

Prints each side's medians and, last, ``this tree / REF: CPU R.RRR, wall R.RRR`` (medians of all runs).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import json, sys, time
import numba
sys.path.insert(0, {bench!r})
from bench_perp_hedge import build, run_ours
from bench_options import put_spec
market, spec, _, _ = build(n_cols={columns})
spec = put_spec(spec, {columns})
numba.set_num_threads(1)
run_ours(market, spec)
wall, cpu = [], []
for _ in range({runs}):
    w, c = time.perf_counter(), time.process_time()
    res = run_ours(market, spec)
    wall.append(time.perf_counter() - w)
    cpu.append(time.process_time() - c)
print(json.dumps({{"wall": wall, "cpu": cpu, "option_pnl": float(res.summary.option_pnl.sum())}}))
"""


def package_view(src: Path, dest: Path) -> Path:
    """``dest/hedgelab`` laid out as pyproject's package-dir maps ``src``'s folders; returns ``dest``."""
    dirs = tomllib.loads((src / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"]
    top = dest / "hedgelab"
    top.mkdir(parents=True)
    for entry in (src / dirs["hedgelab"]).iterdir():
        os.symlink(entry, top / entry.name)
    for name, folder in dirs.items():
        if name.count(".") == 1:
            os.symlink(src / folder, top / name.split(".")[1])
    return dest


def run_side(view: Path | None, src: Path, tmp: str, args) -> dict:
    """One process on ``view`` (None: the installed hedgelab): its JSON line."""
    code = CHILD.format(bench=str(src / "benchmarks"), columns=args.columns, runs=args.runs)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if view is not None:
        env["PYTHONPATH"] = str(view)
    out = subprocess.run([sys.executable, "-P", "-c", code], env=env, cwd=tmp, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ref", default="main")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--columns", type=int, default=16)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="hedgelab-ab-") as tmp:
        ref_src = Path(tmp) / "ref-src"
        ref_src.mkdir()
        archive = subprocess.run(["git", "archive", args.ref], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(ref_src)], input=archive, check=True)
        sides = {args.ref: (package_view(ref_src, Path(tmp) / "ref"), ref_src),
                 "this tree": (None, ROOT)}
        got = {name: {"wall": [], "cpu": [], "pnl": set()} for name in sides}
        for _ in range(args.rounds):
            for name, (view, src) in sides.items():
                res = run_side(view, src, tmp, args)
                got[name]["wall"] += res["wall"]
                got[name]["cpu"] += res["cpu"]
                got[name]["pnl"].add(res["option_pnl"])
        med = {}
        for name, g in got.items():
            med[name] = statistics.median(g["cpu"]), statistics.median(g["wall"])
            print(f"{name}: CPU median {med[name][0]:.3f} s, wall median {med[name][1]:.3f} s over {len(g['cpu'])} "
                  f"runs ({args.columns} columns, 1 thread); option PnL {sorted(g['pnl'])} USD")
        mine, ref = med["this tree"], med[args.ref]
        print(f"this tree / {args.ref}: CPU {mine[0] / ref[0]:.3f}, wall {mine[1] / ref[1]:.3f}")


if __name__ == "__main__":
    main()
