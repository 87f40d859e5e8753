"""Write a realistic transaction log of exactly ROWS rows (same seed, same bytes).

    python benchmarks/generate.py ROWS OUT.csv [--seed N]

Customers are acquired over 24 months with 5% monthly growth; each returns in a later month with
a personal loyalty that decays with time; an active month has 1 to several orders (1 + Poisson);
amounts are lognormal around a personal spend level; about 1% of orders are refunded later.
Columns: customer_id (text like C0001234, or with --ids emails unordered addresses like
3f9a1c2b7d4e@shop.example), order_date (YYYY-MM-DD), amount (2 decimals).
"""

from __future__ import annotations

import argparse

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

MONTHS = 24
START = np.datetime64("2023-01", "M")
ROWS_PER_CUSTOMER = 5.0  # what the model below yields on average, to size the population


def transactions(rows: int, seed: int, ids: str = "numbered") -> pa.Table:
    rng = np.random.default_rng(seed)
    customers = int(rows / ROWS_PER_CUSTOMER * 1.15) + 10
    growth = 1.05 ** np.arange(MONTHS)
    joined = rng.choice(MONTHS, size=customers, p=growth / growth.sum())
    loyalty = rng.beta(2, 3, size=customers)
    spend = rng.lognormal(3.4, 0.6, size=customers)
    offset = np.arange(MONTHS)
    month = joined[:, None] + offset[None, :]
    chance = loyalty[:, None] * 0.9 ** offset[None, :]
    active = (month < MONTHS) & ((offset == 0)[None, :] | (rng.random(month.shape) < chance))
    who, k = np.nonzero(active)
    orders = 1 + rng.poisson(0.8, size=who.size)
    who = np.repeat(who, orders)
    month = joined[who] + np.repeat(k, orders)
    first_day = (START + month).astype("datetime64[D]")
    length = ((START + month + 1).astype("datetime64[D]") - first_day).astype(np.int64)
    day = first_day + (rng.random(who.size) * length).astype(np.int64)
    amount = np.round(spend[who] * rng.lognormal(0, 0.35, size=who.size), 2)
    refund = rng.random(who.size) < 0.01
    later = day[refund] + rng.integers(1, 30, size=int(refund.sum()))
    last_day = (START + MONTHS).astype("datetime64[D]") - 1
    who = np.concatenate([who, who[refund]])
    day = np.concatenate([day, np.minimum(later, last_day)])
    amount = np.concatenate([amount, -amount[refund]])
    if who.size < rows:
        raise SystemExit(
            f"the model gave {who.size} rows, fewer than {rows}; raise ROWS_PER_CUSTOMER"
        )
    keep = np.sort(rng.choice(who.size, size=rows, replace=False))
    order = np.lexsort((who[keep], day[keep]))  # exports come sorted by date
    who, day, amount = who[keep][order], day[keep][order], amount[keep][order]
    if ids == "emails":  # a one-to-one scramble of the customer number, as 12 hex digits
        scrambled = ((who + 1).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(16)
        names = pa.array(np.char.mod("%012x", scrambled.astype(np.int64)), pa.large_string())
        customer = pc.binary_join_element_wise(names, _large("@shop.example"), _large(""))
    else:
        numbers = pc.utf8_lpad(pa.array(who + 1).cast(pa.large_string()), 7, "0")
        customer = pc.binary_join_element_wise(_large("C"), numbers, _large(""))
    return pa.table({
        "customer_id": customer,
        "order_date": pa.array(day, pa.date32()),
        "amount": pa.array(amount),
    })  # fmt: skip


def _large(text: str) -> pa.Scalar:
    return pa.scalar(text, pa.large_string())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", type=int)
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--ids", choices=("numbered", "emails"), default="numbered")
    args = parser.parse_args()
    table = transactions(args.rows, args.seed, args.ids)
    options = pacsv.WriteOptions(include_header=False, quoting_style="none", batch_size=1 << 20)
    with pa.OSFile(args.out, "wb") as out:
        out.write(",".join(table.column_names).encode() + b"\n")
        pacsv.write_csv(table, out, write_options=options)


if __name__ == "__main__":
    main()
