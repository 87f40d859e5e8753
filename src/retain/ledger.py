"""Row accounting: every row read is used or counted under one reason, with examples.

Counts merge across files and batches (``+=``), so the accounting of the whole is the sum of
the accounting of its parts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Why a row was not used, in the order the checks run. Bad rows (BAD_ROWS) follow
# --on-bad-rows; the others are rows that are not transactions, or outside the window.
SKIP_REASONS = {
    "summary_row": "a spreadsheet summary row (Total, ...)",
    "line_item_row": "a line item of an order counted on its first row",
    "duplicate": "an exact duplicate of an earlier row (--dedupe)",
    "filtered": "a status or value left out by --where, --start-where/--return-where or the "
    "export layout",
    "other_currency": "another currency than --currency",
    "malformed_row": "a wrong number of fields",
    "missing_customer": "an empty customer id",
    "bad_date": "a missing or unparseable date",
    "placeholder_date": "a placeholder date (1900-01-01, 1970-01-01, 9999-12-31, ...)",
    "future_date": "a date after today",
    "bad_amount": "a missing, unparseable or out-of-range amount",
    "outside_window": "a date after --until",
    "after_as_of": "a date after --as-of",
}
BAD_ROWS = ("malformed_row", "missing_customer", "bad_date", "placeholder_date", "future_date",
            "bad_amount")  # fmt: skip
EXAMPLES = 5


@dataclass
class RowCounts:
    """Rows read; rows skipped by reason (keys of ``SKIP_REASONS``) with up to five examples
    each (``"orders.csv line 7: '2024-13-01'"``)."""

    read: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)  # reason -> the column it was found in

    @property
    def used(self) -> int:
        return self.read - sum(self.skipped.values())

    def skip(self, reason: str, count: int, examples=(), column: str | None = None) -> None:
        if count:
            self.skipped[reason] = self.skipped.get(reason, 0) + int(count)
            kept = self.examples.setdefault(reason, [])
            kept.extend(list(examples)[: EXAMPLES - len(kept)])
            if column is not None:
                self.columns.setdefault(reason, column)

    def add(self, other: RowCounts, prefix: str = "") -> None:
        """Add the counts of a later part; its examples get ``prefix`` (a file name)."""
        self.read += other.read
        for reason, count in other.skipped.items():
            examples = [prefix + e for e in other.examples.get(reason, [])]
            self.skip(reason, count, examples, other.columns.get(reason))

    def __iadd__(self, other: RowCounts) -> RowCounts:
        self.add(other)
        return self

    def summary(self) -> str:
        """``12 with an empty customer id; 3 with ...``, reasons in a fixed order."""
        return "; ".join(
            f"{self.skipped[r]:,} with {SKIP_REASONS[r]}" for r in SKIP_REASONS if r in self.skipped
        )
