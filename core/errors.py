"""Errors a user can cause and fix: the CLI prints them in one line and exits with code 2."""
from hedgelab.core.redact import redact


class UserError(Exception):
    """A mistake in the user's input: one line saying what is wrong and where.

    The message is redacted when made (``hedgelab.core.redact``): a URL password or an API key that
    the user passed, or that an exchange echoed back, is never printed in clear.
    """

    def __init__(self, message: object = "", *args: object) -> None:
        super().__init__(redact(message), *args)


class DataError(UserError):
    """Market data that cannot be used as given (names file, row and column)."""


def one_line(exc: BaseException, *, kind: bool = True) -> str:
    """An exception as one line: a ``UserError``'s own message; any other ``Type: first line of the
    message`` (only the first line without ``kind``; the type's name when there is no message)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if isinstance(exc, UserError) or (not kind and text):
        return text or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
