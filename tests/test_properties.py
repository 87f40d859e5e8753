"""Invariants of METRICS.md on random transaction tables (hypothesis)."""

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from retain.activity import build_activity, merge_activity
from retain.cohorts import assign_cohorts
from retain.metrics import cohort_grids, cohort_table
from retain.normalize import AMOUNT_SCALE
from retain.pipeline import Settings, cohorts_of, frame_activity

PERIODS = st.sampled_from(["day", "week", "month", "quarter", "year"])
# ids of every form the reduction treats apart: prefix + number (c7, C0001), numbers with leading
# zeros (007 and 7 are two customers: short-ASCII keys), long and non-ASCII ids (kept as text)
IDS = [f"c{i}" for i in range(8)] + ["C0001", "C0002", "007", "07", "7", "alice@example.com", "Zoë"]
row = st.tuples(
    st.sampled_from(IDS),
    st.dates(dt.date(2022, 11, 1), dt.date(2024, 3, 31)),
    st.integers(-5_000, 50_000).map(lambda cents: cents / 100),
)
tables = (
    st.lists(row, min_size=1, max_size=60)
    .map(lambda rows: pd.DataFrame(rows, columns=["customer", "date", "amount"]))
    .filter(lambda t: (t["amount"] >= 0).any())
)  # at least one customer has a cohort


def result_of(table, period="month", metric="retention", counts=False, as_of=None):
    options = Settings(period=period, as_of=as_of)
    return cohorts_of(frame_activity(table, options), options, metric, counts)[0]


@settings(max_examples=60, deadline=None)
@given(tables, PERIODS)
def test_retention_rates(table, period):
    rates = result_of(table, period).table.drop(columns="customers")
    assert (rates[0] == 1.0).all()  # offset 0 is 100% with first-activity cohorts
    values = rates.to_numpy(dtype=float)
    observed = values[~np.isnan(values)]
    assert ((observed >= 0) & (observed <= 1)).all()
    churn = result_of(table, period, "churn").table.drop(columns="customers")
    pd.testing.assert_frame_equal(churn, 1 - rates)


@settings(max_examples=60, deadline=None)
@given(tables, PERIODS)
def test_active_counts_never_exceed_cohort_size(table, period):
    counts = result_of(table, period, counts=True).table
    sizes = counts.pop("customers")
    assert (counts.astype(float).le(sizes.astype(float), axis=0) | counts.isna()).all().all()
    assert sizes.sum() == table.loc[table["amount"] >= 0, "customer"].nunique()


@settings(max_examples=60, deadline=None)
@given(tables, st.randoms(use_true_random=False), PERIODS)
def test_row_order_and_file_splits_change_nothing(table, random, period):
    expected = result_of(table, period, "revenue")
    shuffled = table.sample(frac=1, random_state=random.randint(0, 2**31)).reset_index(drop=True)
    pd.testing.assert_frame_equal(result_of(shuffled, period, "revenue").table, expected.table)
    # activity tables of two parts merge into the activity table of the whole
    cut = random.randint(0, len(table))
    parts = [table.iloc[:cut], table.iloc[cut:]]
    merged = merge_activity(
        [frame_activity(p, Settings(period=period)).table for p in parts if len(p)]
    )
    whole = frame_activity(table, Settings(period=period)).table
    pd.testing.assert_frame_equal(rows_of(merged), rows_of(whole))


def rows_of(activity: pd.DataFrame) -> pd.DataFrame:
    """An activity table's rows, with plain customer values, in a fixed order (the table's own
    row order is not defined)."""
    customer = activity["customer"]
    plain = activity.assign(customer=np.asarray(customer.cat.categories)[customer.cat.codes])
    return plain.sort_values(["customer", "period"]).reset_index(drop=True)


@settings(max_examples=60, deadline=None)
@given(tables)
def test_revenue_matrix_sums_to_revenue_of_customers_with_a_cohort(table):
    revenue = result_of(table, metric="revenue").table.drop(columns="customers")
    months = pd.to_datetime(table["date"]).dt.to_period("M")
    first = months.where(table["amount"] >= 0).groupby(table["customer"]).transform("min")
    counted = table.loc[first.notna() & (months >= first), "amount"]
    assert round(float(np.nansum(revenue.to_numpy(dtype=float))) * AMOUNT_SCALE) == round(
        counted.sum() * AMOUNT_SCALE
    )


@settings(max_examples=60, deadline=None)
@given(tables, st.dates(dt.date(2022, 11, 1), dt.date(2024, 3, 31)))
def test_cells_after_the_as_of_date_are_empty(table, as_of):
    if not ((pd.to_datetime(table["date"]).dt.date <= as_of) & (table["amount"] >= 0)).any():
        return
    result = result_of(table, as_of=as_of)
    as_of_month = pd.Period(as_of, "M")
    for label, row_ in result.table.drop(columns="customers").iterrows():
        for k, value in row_.items():
            assert np.isnan(value) == (pd.Period(label, "M") + k > as_of_month)


def test_cohort_assignment_does_not_depend_on_activity_row_order():
    activity = build_activity(
        pd.DataFrame({
            "customer": ["a", "b", "a", "c"],
            "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-03-01", "2024-02-01"]),
            "amount": np.array([10, 20, 30, -5]) * AMOUNT_SCALE,
        })
    )  # fmt: skip
    for seed in range(5):
        cohorted, stats = assign_cohorts(activity.sample(frac=1, random_state=seed))
        grids = cohort_grids(cohorted, dt.date(2024, 3, 31))
        assert grids.sizes.tolist() == [2]  # c has only a refund: no cohort
        assert stats.refund_only_customers == 1
        assert cohort_table(grids, "revenue").table.loc["2024-01", [0, 1, 2]].tolist() == [
            30,
            0,
            30,
        ]


@given(
    st.lists(
        st.text(
            st.characters(codec="ascii", exclude_characters=" \t\n\r\x0b\x0c"),
            min_size=1,
            max_size=8,
        ),
        min_size=1,
        max_size=30,
    )
)
def test_customer_keys_are_one_to_one_and_decode_back(ids):
    import pyarrow as pa

    from retain.activity import customer_keys, decode_keys

    keys = customer_keys(pa.array(ids))
    assert len(set(keys.tolist())) == len(set(ids))
    assert decode_keys(keys).tolist() == ids


slash_row = st.tuples(
    st.sampled_from(["a", "b", "c", "Ann@Example.com", "ann@example.com"]),
    st.dates(dt.date(2024, 1, 1), dt.date(2024, 4, 30)),
    st.integers(-500, 5_000).map(lambda cents: f"${cents / 100:.2f}"),
    st.sampled_from(["Paid", "Paid", "Failed"]),
)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(slash_row, min_size=2, max_size=40), st.randoms(use_true_random=False), st.booleans()
)
def test_messy_exports_split_and_shuffled_give_the_same_bytes(rows, random, day_first):
    """Day-first slash dates (decided from every value of every file), a status column, money
    marks and email ids: the output does not depend on row order, on the split into files or on
    the batch size."""
    import tempfile

    from click.testing import CliRunner

    from retain.cli import cli

    fmt = "%d/%m/%Y" if day_first else "%m/%d/%Y"
    lines = [f"{c},{d.strftime(fmt)},{a},{s}" for c, d, a, s in rows]
    # one paid order; as 25/04 it is the one value that says day-first, as 04/12 it reads both ways
    lines.append("b,25/04/2024,$1.00,Paid" if day_first else "b,04/12/2024,$1.00,Paid")
    header = "customer,date,amount,status\n"
    args = ["cohort", "--where", "status!=Failed", "--metric", "revenue", "--format", "csv",
            "--as-of", "2024-04-30", "--on-bad-rows", "skip"]  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        whole = f"{folder}/whole.csv"
        with open(whole, "w") as out:
            out.write(header + "\n".join(lines) + "\n")
        random.shuffle(lines)
        cut = random.randint(0, len(lines))
        paths = []
        for i, part in enumerate((lines[:cut], lines[cut:])):
            if part:
                paths.append(f"{folder}/part{i}.csv")
                with open(paths[-1], "w") as out:
                    out.write(header + "\n".join(part) + "\n")
        expected = CliRunner().invoke(cli, [*args[:1], whole, *args[1:]])
        size = str(random.randint(1, len(lines) + 1))
        split = CliRunner().invoke(cli, [*args[:1], *paths, *args[1:], "--chunksize", size])
    assert (expected.exit_code, split.exit_code) == (0, 0), expected.stderr + split.stderr
    assert split.stdout == expected.stdout


@settings(max_examples=60, deadline=None)
@given(tables, st.randoms(use_true_random=False), PERIODS)
def test_cells_of_batches_merge_into_the_activity_of_the_whole(table, random, period):
    """Any cut of the rows into batches, reduced to cells and merged partition by partition,
    gives the activity table of the whole (short ids as int64 keys, others by their hashes)."""
    from retain.activity import build_cells, merge_cells

    frame = frame_activity(table, Settings(period=period))  # the reference, from all rows
    rows = table.assign(
        customer=table["customer"], timestamp=pd.to_datetime(table["date"]),
        amount=(table["amount"] * AMOUNT_SCALE).round().astype("int64"),
    )[["customer", "timestamp", "amount"]]  # fmt: skip
    cuts = (
        sorted(random.sample(range(1, len(rows)), min(3, len(rows) - 1))) if len(rows) > 1 else []
    )
    edges = [0, *cuts, len(rows)]
    batches = [rows.iloc[a:b] for a, b in zip(edges, edges[1:], strict=False) if b > a]
    cells = [build_cells(b, period) for b in batches]
    merged = merge_cells(cells)
    pd.testing.assert_frame_equal(rows_of(as_ids(merged)), rows_of(as_ids(frame.table)))


def as_ids(activity: pd.DataFrame) -> pd.DataFrame:
    """An activity table with its customers as ids (short ids may be held as int64 keys)."""
    from retain.activity import decode_keys

    categories = np.asarray(activity["customer"].cat.categories)
    if categories.dtype == np.int64:
        categories = decode_keys(categories)
    ids = categories.astype(object)[activity["customer"].cat.codes.to_numpy()]
    return activity.assign(customer=pd.Categorical(ids))
