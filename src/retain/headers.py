"""Header names as retain compares them: without case, spaces or punctuation (any script)."""

import re


def key(name: str) -> str:
    """``Customer ID``, ``customer_id`` and ``customerId`` all give ``customerid``."""
    return re.sub(r"[\W_]", "", str(name).lower())
