"""Activity table -> cohort and period offset of every (customer, period) row.

METRICS.md, Cohorts: a customer's cohort is the period of their first activity (a period with
``orders > 0``); refund rows never start a cohort. Rows before the cohort's period (refunds
booked before the first purchase) and customers whose rows are all refunds have no place in the
matrices and are counted in ``CohortStats`` instead (``pre_cohort_periods`` counts
(customer, period) pairs).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class CohortStats:
    """What the cohort assignment left out, for the data-quality counts."""

    refund_only_customers: int = 0
    pre_cohort_periods: int = 0


def assign_cohorts(activity: pd.DataFrame) -> tuple[pd.DataFrame, CohortStats]:
    """Add ``cohort`` (ordinal of the first active period) and ``offset`` to ``activity``.

    Keeps only the rows of customers with a cohort, from the cohort's period on.
    """
    active_period = activity["period"].where(activity["orders"] > 0)
    cohort = active_period.groupby(activity["customer"], sort=False).transform("min")
    has_cohort = cohort.notna().to_numpy()
    refund_only = activity.loc[~has_cohort, "customer"].nunique()
    cohort = cohort.fillna(0).to_numpy(dtype=np.int64)
    offset = activity["period"].to_numpy(dtype=np.int64) - cohort
    keep = has_cohort & (offset >= 0)
    stats = CohortStats(
        refund_only_customers=int(refund_only),
        pre_cohort_periods=int((has_cohort & (offset < 0)).sum()),
    )
    out = activity.assign(cohort=cohort, offset=offset)
    return out[keep].reset_index(drop=True), stats
