"""The built-in strategies, one module each (listed in hedgelab.strategies.registry.BUILTIN_MODULES)."""
