"""The RFM summary of the BG/NBD and Gamma-Gamma models (Fader, Hardie and Lee 2005): per
customer, from the day cells of the activity table (one cell per customer and day, so that
purchases on one day count once, whatever the time unit):

- ``frequency``: repeat purchase days: the days with a purchase after the first one;
- ``recency``: from the first to the last purchase day, in the time unit;
- ``T``: from the first purchase day to the observation end, in the time unit;
- ``monetary_value``: the mean net amount of the repeat purchase days (empty without one);
  ``average_value``: the mean net amount of every purchase day, the first included.

A purchase day is a day with an order (a row with amount >= 0); its amount is the day's net sum
(refunds booked that day subtracted). Only days up to the observation end count; later ones
are the holdout (``holdout_purchases``: purchase days in (observation end, holdout end]).
Customers whose first purchase is after the observation end are not in the summary.

This is the convention of Fader and Hardie's published CDNOW summary. lifetimes'
``summary_data_from_transaction_data`` counts periods of its ``freq`` instead (with
``freq="W"``, purchases in one week count once), and measures recency and T in that unit on
dates floored to it; with ``freq="D"`` it counts days as here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from retain.cohorts import customer_codes
from retain.customer_table import customer_ids
from retain.normalize import AMOUNT_SCALE

UNIT_DAYS = {"day": 1.0, "week": 7.0, "month": 365.25 / 12}  # a month: a twelfth of a year


def rfm_rows(
    cells: pd.DataFrame, observation_end: int, unit: str = "week", holdout_end: int | None = None
) -> pd.DataFrame:
    """One row per customer of ``cells`` (columns ``customer``, ``period``: day ordinals,
    ``orders``, and ``revenue`` in 1/AMOUNT_SCALE units when there are amounts) with a
    purchase on or before the day ordinal ``observation_end``: ``customer`` (the id),
    ``first`` and ``last`` (day ordinals of the first and last purchase days),
    ``purchase_days``, ``frequency``, ``recency``, ``T``, ``monetary_value`` and
    ``average_value`` (currency units; with amounts) and, with ``holdout_end``,
    ``holdout_purchases``."""
    codes, count = customer_codes(cells["customer"])
    day = cells["period"].to_numpy(np.int64)
    bought = cells["orders"].to_numpy(np.int64) > 0
    calibration = bought & (day <= observation_end)
    who, when = codes[calibration], day[calibration]
    days = np.bincount(who, minlength=count)
    first = np.full(count, np.iinfo(np.int64).max)
    last = np.full(count, np.iinfo(np.int64).min)
    np.minimum.at(first, who, when)
    np.maximum.at(last, who, when)
    keep = days > 0
    scale = UNIT_DAYS[unit]
    rows = {
        "customer": customer_ids(cells["customer"])[keep],
        "first": first[keep],
        "last": last[keep],
        "purchase_days": days[keep],
        "frequency": days[keep] - 1,
        "recency": (last[keep] - first[keep]) / scale,
        "T": (observation_end - first[keep]) / scale,
    }
    if "revenue" in cells:
        amount = cells["revenue"].to_numpy(np.int64)[calibration]
        total = np.zeros(count, np.int64)
        np.add.at(total, who, amount)
        opening = np.zeros(count, np.int64)  # the first purchase day's amount
        is_first = when == first[who]
        np.add.at(opening, who[is_first], amount[is_first])
        repeat = rows["frequency"]
        with np.errstate(divide="ignore", invalid="ignore"):
            rows["monetary_value"] = (
                np.where(repeat > 0, (total[keep] - opening[keep]) / np.maximum(repeat, 1), np.nan)
                / AMOUNT_SCALE
            )
            rows["average_value"] = total[keep] / days[keep] / AMOUNT_SCALE
    if holdout_end is not None:
        later = bought & (day > observation_end) & (day <= holdout_end)
        rows["holdout_purchases"] = np.bincount(codes[later], minlength=count)[keep]
    return pd.DataFrame(rows)
