"""Helpers shared by the test modules, imported by name (``from testkit.cli import invoke``).

pytest puts ``tests/support`` on sys.path (``pythonpath`` in pyproject.toml); not ``tests`` itself,
whose ``tests/hedgelab`` folder would shadow the installed package. Test modules are imported with
--import-mode=importlib, so anything two of them share lives here under a real module name: numba's
disk cache records a hook's module and imports it again by that name when it loads the hook.
"""
