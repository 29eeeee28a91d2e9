"""Stress testing: scenario paths (shock, bootstrap, GARCH, jumps, named crises), liquidation
cascades, survival odds and reverse stress.

``hedgelab.stress(...)`` runs a stress test (``hedgelab.stress.api.stress``); the package itself is
callable so that both ``hedgelab.stress(...)`` and ``hedgelab.stress.shock`` work. Modules: one per
generator (shock, bootstrap, garch, jump, scenarios, cascade), paths (full market paths), seeds,
survival (statistics), run (chunks of paths), reverse (reverse stress), result, api.
"""
import sys
import types


class _CallableModule(types.ModuleType):
    def __call__(self, *args, **kwargs):
        from hedgelab.stress.api import stress
        return stress(*args, **kwargs)

    @property
    def stress(self):
        # ``hedgelab``'s lazy attribute table reads ``hedgelab.stress.stress``: the package itself
        return self


sys.modules[__name__].__class__ = _CallableModule
