"""--segment: one matrix per value of a column, each customer in the segment of their first
activity; checked against a direct pandas computation, and across batch sizes and spilling."""

import io

import numpy as np
import pandas as pd
import pytest

import retain


def orders(seed: int = 7, n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "customer": [f"c{i}" for i in rng.integers(0, 60, n)],
        "date": pd.to_datetime("2024-01-01") + pd.to_timedelta(rng.integers(0, 180, n), "D")
        + pd.to_timedelta(rng.integers(0, 86_400, n), "s"),
        "amount": np.round(rng.normal(20, 15, n), 2),
        "channel": rng.choice(["web", "app", "", "store"], n),
    })  # fmt: skip
    return frame


def expected_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Active customers per (segment, cohort, offset), straight from the rows: the segment of
    each customer's earliest row with amount >= 0 (the smallest value on a tie)."""
    active = frame[frame["amount"] >= 0].assign(
        channel=frame["channel"].replace("", "(none)"),
        month=frame["date"].dt.to_period("M"),
    )
    first = active.sort_values(["customer", "date", "channel"]).groupby("customer").first()
    active = active.join(first[["channel", "month"]].rename(columns=lambda c: f"first_{c}"),
                         on="customer")  # fmt: skip
    active["offset"] = (active["month"] - active["first_month"]).apply(lambda d: d.n)
    counts = active.groupby(["first_channel", "first_month", "offset"])["customer"].nunique()
    rows = []
    for (segment, cohort), group in counts.groupby(level=[0, 1]):
        size = group.xs(0, level="offset").iloc[0]
        width = 6 - (cohort.month - 1)  # months from the cohort to June 2024
        values = [group.get((segment, cohort, k), 0) for k in range(width)]
        rows.append([segment, str(cohort), size, *values])
    return rows


def test_segment_matrices_match_pandas(run, write):
    frame = orders()
    path = write("o.csv", frame.to_csv(index=False, date_format="%Y-%m-%d %H:%M:%S"))
    args = ["--segment", "channel", "--counts", "--as-of", "2024-06-30", "--format", "csv"]
    result = run("cohort", path, *args)
    assert result.exit_code == 0, result.stderr
    got = pd.read_csv(io.StringIO(result.stdout), keep_default_na=False, dtype=str)
    expected = expected_counts(frame)
    assert len(got) == len(expected)
    for row, want in zip(got.itertuples(index=False), expected, strict=True):
        cells = [int(v) for v in row[2:] if v != ""]
        assert [row[0], row[1], *cells] == [want[0], want[1], *map(int, want[2:])]
    for size in ("1", "7", "50"):  # batches and spilling change nothing
        again = run("cohort", path, *args, "--chunksize", size, "--memory-limit", "0")
        assert again.stdout == result.stdout


def test_api_segments_index_by_segment_and_cohort():
    table = retain.cohort_matrix(orders(), segment="channel", as_of="2024-06-30", counts=True)
    assert table.index.names == ["segment", "cohort"]
    assert sorted(set(table.index.get_level_values(0))) == ["(none)", "app", "store", "web"]
    sizes = table["customers"].sum()
    assert sizes == orders().query("amount >= 0")["customer"].nunique()  # each in one segment


def test_segment_column_must_exist(run, write):
    path = write("o.csv", "customer,date\na,2024-01-01\n")
    result = run("cohort", path, "--segment", "channel")
    assert result.exit_code == 1
    assert "channel" in result.stderr


@pytest.mark.parametrize("fmt", ["table", "json", "markdown"])
def test_segmented_output_formats(run, write, fmt):
    path = write("o.csv", orders().to_csv(index=False))
    result = run("cohort", path, "--segment", "channel", "--format", fmt)
    assert result.exit_code == 0, result.stderr
    if fmt == "json":
        import json

        document = json.loads(result.stdout)
        assert document["segment_column"] == "channel"
        assert [s["segment"] for s in document["segments"]] == ["(none)", "app", "store", "web"]
    else:
        assert "channel = web" in result.stdout


def test_a_column_of_ids_is_no_segment(run, write, monkeypatch):
    import retain.pipeline

    monkeypatch.setattr(retain.pipeline, "MAX_SEGMENTS", 3)
    path = write("o.csv", orders().to_csv(index=False))
    result = run("cohort", path, "--segment", "customer")
    assert result.exit_code == 1
    assert "'customer' has 60 values among the cohorts' customers: too many segments" in (
        result.stderr
    )
