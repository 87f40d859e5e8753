"""Errors raised by the library. None of them imports click: `cli.py` turns them into one line."""


class RetainError(Exception):
    """A problem with the input data or its interpretation (exit code 1)."""

    exit_code = 1


class InputError(RetainError):
    """A file cannot be read: missing, empty, not a table, wrong encoding."""


class ColumnError(RetainError):
    """A column cannot be found or is ambiguous."""


class BadRowsError(RetainError):
    """Rows whose customer, date or amount cannot be used, under --on-bad-rows fail."""


class MetricError(RetainError):
    """A metric cannot be computed from what the data has (e.g. revenue without amounts)."""


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``1 row``, ``2,000 rows``: a count with its noun, for messages."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
