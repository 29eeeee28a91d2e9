"""Errors a user can cause and fix: the CLI prints them in one line and exits with code 2."""


class UserError(Exception):
    """A mistake in the user's input: one line saying what is wrong and where."""


class DataError(UserError):
    """Market data that cannot be used as given (names file, row and column)."""
