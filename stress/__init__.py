"""Stress testing: scenario paths (shock, bootstrap, GARCH, jumps, named crises), liquidation
cascades, survival odds and reverse stress.

``hedgelab.stress(...)`` runs a stress test (the front door's ``hedgelab.api.stress``, which runs
``hedgelab.runner.stress``); the package itself is callable so that both ``hedgelab.stress(...)`` and
``hedgelab.stress.shock`` work. Modules: one per generator (shock, bootstrap, garch, jump, scenarios,
cascade), paths (full market paths), seeds, survival (statistics), run (chunks of paths), window (the
stretch the paths replace), summarise (the result's tables), reverse (reverse stress), result.
"""
import sys
import types


class _CallableModule(types.ModuleType):
    def __call__(self, *args, **kwargs):
        # the one import of the front door from below it (allowed by name in .importlinter): the
        # package doubles as the callable hedgelab.stress
        from hedgelab.api import stress
        return stress(*args, **kwargs)

    @property
    def __signature__(self):
        # inspect.signature(hedgelab.stress) reads this before __call__'s (*args, **kwargs): the real one
        import inspect

        from hedgelab.api import stress
        return inspect.signature(stress)

    @property
    def stress(self):
        # ``hedgelab``'s lazy attribute table reads ``hedgelab.stress.stress``: the package itself
        return self


sys.modules[__name__].__class__ = _CallableModule
