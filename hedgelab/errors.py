"""The public name of hedgelab's user errors (``hedgelab.errors.UserError``), for plugins and scripts.

The classes live in ``hedgelab.core.errors``; the layers below the front door import them from there.
"""
from hedgelab.core.errors import DataError, UserError

__all__ = ["UserError", "DataError"]
