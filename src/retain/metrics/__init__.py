"""The metrics of METRICS.md, as pure functions: ``matrix`` (cohort matrices)."""

from retain.metrics.matrix import (
    MEANS,
    METRICS,
    CohortGrids,
    CohortResult,
    Segmented,
    cohort_grids,
    cohort_sums,
    cohort_table,
    grids_of,
    parse_brackets,
)

__all__ = [
    "MEANS", "METRICS", "CohortGrids", "CohortResult", "Segmented", "cohort_grids", "cohort_sums",
    "cohort_table", "grids_of", "parse_brackets",
]  # fmt: skip
