"""The code's own rules, run as part of the suite (so CI runs them with the README's test command):
the layer contract (import-linter, .importlinter), ruff's rule set and mypy's type check
(both configured in pyproject.toml), and no module reaching into another's private names.

import-linter and mypy read packages from folders laid out as installed (``hedgelab/engine/...``),
while the source keeps them side by side (``engine/``, mapped by pyproject's package-dir): the
tests copy the sources into that layout first, as a wheel would.
"""
import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _package_dirs() -> dict:
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return conf["tool"]["setuptools"]["package-dir"]


@pytest.fixture(scope="module")
def installed_layout(tmp_path_factory) -> Path:
    """The packages' Python files under one ``hedgelab/`` folder, as installed."""
    top = tmp_path_factory.mktemp("layout")
    skip = shutil.ignore_patterns("__pycache__", "*.nbi", "*.nbc", "*.parquet", "*.json", "*.csv", "*.html")
    for package, folder in sorted(_package_dirs().items(), key=lambda kv: kv[0].count(".")):
        target = top.joinpath(*package.split("."))
        if package == "hedgelab":
            shutil.copytree(ROOT / folder, target, ignore=skip)
        else:
            shutil.copytree(ROOT / folder, target, ignore=skip, dirs_exist_ok=True)
    return top


def _tool(args, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, timeout=600)


def test_the_layer_contract_holds(installed_layout):
    done = subprocess.run([str(Path(sys.executable).with_name("lint-imports")), str(ROOT / ".importlinter")],
                          cwd=installed_layout, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_the_layer_contract_catches_an_upward_import(installed_layout, tmp_path):
    """The check can fail: an engine module importing the runner breaks the layers contract."""
    broken = tmp_path / "broken"
    shutil.copytree(installed_layout, broken)
    (broken / "hedgelab" / "engine" / "upward.py").write_text("import hedgelab.runner.options\n")
    done = subprocess.run([str(Path(sys.executable).with_name("lint-imports")), str(ROOT / ".importlinter")],
                          cwd=broken, capture_output=True, text=True, timeout=600)
    assert done.returncode == 1
    assert "hedgelab.engine.upward -> hedgelab.runner.options" in done.stdout


def test_ruff_finds_nothing():
    done = _tool(["ruff", "check", "--no-cache", "--output-format", "concise", str(ROOT)], cwd=ROOT)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_mypy_finds_nothing(installed_layout):
    packages = ["hedgelab.core", "hedgelab.runner", "hedgelab.api", "hedgelab.engine"]
    args = ["mypy", "--config-file", str(ROOT / "pyproject.toml"), "--no-incremental"]
    done = _tool(args + [a for p in packages for a in ("-p", p)], cwd=installed_layout)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]


def _modules():
    for folder in _package_dirs().values():
        for path in sorted((ROOT / folder).glob("*.py")):
            yield path


def test_no_module_imports_another_modules_private_names():
    found = []
    for path in _modules():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("hedgelab"):
                for alias in node.names:
                    name = alias.name
                    if name.startswith("_") and not name.startswith("__"):
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.module}.{name}")
                parts = node.module.split(".")
                if any(p.startswith("_") and not p.startswith("__") for p in parts):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.module}")
    assert found == []


def test_the_architecture_doc_draws_the_contracts_layers():
    import configparser
    import re
    contract = configparser.ConfigParser(inline_comment_prefixes=(";",))
    contract.read(ROOT / ".importlinter")
    layers = contract["importlinter:contract:layers"]["layers"].split()
    doc = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
    drawn = doc[doc.index("## Layers"):]
    drawn = drawn[drawn.index("```text"):drawn.index("```", drawn.index("```text") + 3)]
    assert re.findall(r"^\s+(hedgelab\.\w+)\s", drawn, flags=re.M) == layers
