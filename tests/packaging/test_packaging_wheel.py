"""The built wheel installs into a fresh virtual environment and works there.

Only ``hedgelab`` may land in site-packages: the source folders (engine/, data/, ...) must be
mapped under it, never installed as generic top-level names.
"""
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # --no-isolation: build with the setuptools already installed by the test extras (no download).
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(REPO)],
        check=True, capture_output=True, text=True,
    )
    (whl,) = out.glob("hedgelab-*.whl")
    return whl


def test_wheel_has_only_the_hedgelab_import_name(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/", 1)[0] for n in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"hedgelab"}
    for sub in ("engine", "data", "strategies", "reports", "cli"):
        assert f"hedgelab/{sub}/__init__.py" in names
    # the embedded dataset ships inside the package
    assert any(n.startswith("hedgelab/data/builtin/crisis-2025/") and n.endswith(".parquet") for n in names)


def test_wheel_runs_in_a_fresh_venv(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    bindir = env_dir / "bin"
    py = bindir / "python"
    site = Path(subprocess.check_output(
        [py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True).strip())
    # Reuse the installed dependencies without their .pth hooks (an editable hedgelab among them
    # would otherwise shadow the wheel): a plain path entry is added, its .pth files are not run.
    deps = [p for p in sys.path if p.endswith("site-packages")]
    (site / "_deps.pth").write_text("\n".join(deps) + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "-q", str(wheel)],
                   check=True, capture_output=True, text=True)

    where = subprocess.run(
        [py, "-c", "import hedgelab.engine, hedgelab.data; print(hedgelab.engine.__file__)"],
        capture_output=True, text=True, cwd=tmp_path)
    assert where.returncode == 0, where.stderr
    assert where.stdout.startswith(str(env_dir)), where.stdout

    version = subprocess.run([bindir / "hedgelab", "--version"], capture_output=True, text=True, cwd=tmp_path)
    assert version.returncode == 0 and "0.1.0" in version.stdout

    show = subprocess.run([bindir / "hedgelab", "data", "show", "crisis-2025"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert show.returncode == 0, show.stderr
    assert "reconstruction" in show.stdout.lower()
