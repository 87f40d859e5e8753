"""Write examples/orders.csv: a seeded, realistic order log (same seed, same bytes).

About 3,000 customers acquired over 15 months (growing), each returning with a decaying monthly
probability and a personal spend level, 1-3 orders per active month, lognormal amounts, about
1.5% refunds, a few refunds booked the month after the order.

    python examples/generate.py [OUT.csv]
"""

import csv
import datetime as dt
import sys

import numpy as np

SEED = 20240101
START = dt.date(2024, 1, 1)
MONTHS = 15


def month_start(index: int) -> dt.date:
    year, month = divmod(START.month - 1 + index, 12)
    return dt.date(START.year + year, month + 1, 1)


def orders(rng: np.random.Generator):
    customer = 0
    for month in range(MONTHS):
        for _ in range(int(150 * 1.06**month)):
            customer += 1
            spend = rng.lognormal(3.4, 0.5)
            loyalty = rng.beta(2, 3)
            for active_month in range(month, MONTHS):
                first = active_month == month
                if not first and rng.random() > loyalty * 0.85 ** (active_month - month):
                    continue
                start = month_start(active_month)
                days = (month_start(active_month + 1) - start).days
                for _ in range(1 if first else rng.integers(1, 4)):
                    day = start + dt.timedelta(days=int(rng.integers(0, days)))
                    amount = round(float(spend * rng.lognormal(0, 0.3)), 2)
                    yield f"C{customer:05d}", day, amount
                    if rng.random() < 0.015:
                        later = day + dt.timedelta(days=int(rng.integers(1, 30)))
                        yield f"C{customer:05d}", later, -amount


def main(out: str) -> None:
    rows = sorted(orders(np.random.default_rng(SEED)), key=lambda r: (r[1], r[0]))
    last = month_start(MONTHS) - dt.timedelta(days=17)  # the export ran mid-month: a partial month
    with open(out, "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["order_id", "customer_id", "order_date", "amount"])
        for number, (customer, day, amount) in enumerate((r for r in rows if r[1] <= last), 1):
            writer.writerow([f"O{number:06d}", customer, day.isoformat(), f"{amount:.2f}"])


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "examples/orders.csv")
