"""Data-quality figures for ``retain inspect``: pure functions of canonical transactions and of
the cohort sizes. No I/O, no printing."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from retain.normalize import AMOUNT_SCALE

NEXT_COHORTS = 3


@dataclass
class Tally:
    """Running figures over the used rows of every input."""

    first: pd.Timestamp | None = None
    last: pd.Timestamp | None = None
    refunds: int = 0
    refund_total: int = 0  # in 1/AMOUNT_SCALE units
    zero_amounts: int = 0
    has_amounts: bool = False  # an input had an amount column: else the refund figures are None
    customers: list[np.ndarray] = field(default_factory=list)

    def add(self, transactions: pd.DataFrame) -> None:
        self.has_amounts |= "amount" in transactions
        if transactions.empty:
            return
        stamps = transactions["timestamp"]
        self.first = min(filter(None, [self.first, stamps.min()]))
        self.last = max(filter(None, [self.last, stamps.max()]))
        self.customers.append(transactions["customer"].unique())
        if "amount" in transactions:
            amount = transactions["amount"].to_numpy()
            self.refunds += int((amount < 0).sum())
            self.refund_total += int(amount[amount < 0].sum())
            self.zero_amounts += int((amount == 0).sum())

    def merge(self, other: Tally) -> Tally:
        """The tally of both parts' rows."""
        self.has_amounts |= other.has_amounts
        self.first = min(filter(None, [self.first, other.first]), default=None)
        self.last = max(filter(None, [self.last, other.last]), default=None)
        self.refunds += other.refunds
        self.refund_total += other.refund_total
        self.zero_amounts += other.zero_amounts
        self.customers += other.customers
        return self

    def figures(self) -> dict:
        customers = np.unique(np.concatenate(self.customers)) if self.customers else []
        amounts = self.has_amounts  # else None: "no refunds" would claim what was not seen
        return {
            "customers": len(customers),
            "first_date": None if self.first is None else self.first.date().isoformat(),
            "last_date": None if self.last is None else self.last.date().isoformat(),
            "refund_rows": self.refunds if amounts else None,
            "refund_total": self.refund_total / AMOUNT_SCALE if amounts else None,  # render rounds
            "zero_amount_rows": self.zero_amounts if amounts else None,
        }


def first_cohort_estimate(labels: list[str], sizes: np.ndarray) -> dict | None:
    """How much of the first cohort may be customers from before the data starts.

    Everyone active in the data's first period lands in the first cohort, including customers who
    first bought before the export begins. The estimate compares the first cohort with the median
    of the next three: the excess, as a share of the first cohort (0 when it is not larger).
    """
    if len(sizes) == 0:
        return None
    following = sizes[1 : 1 + NEXT_COHORTS]
    estimate = {"cohort": labels[0], "customers": int(sizes[0]), "next_median": None, "share": None}
    if len(following):
        median = float(np.median(following))
        estimate["next_median"] = median
        estimate["share"] = round(max(0.0, (sizes[0] - median) / sizes[0]), 4)
    return estimate
