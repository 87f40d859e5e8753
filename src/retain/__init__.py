"""retain: cohort retention, churn and revenue matrices from transaction files.

The steps, each usable on its own from a notebook::

    read_activity(paths, Settings(...))      files -> activity table (one row per customer, period)
    assign_cohorts(activity.table)           -> cohort and offset of every row
    cohort_grids(cohorted, as_of, period)    -> S_c, A_{c,k}, orders, revenue grids
    cohort_table(grids, metric)              -> the matrix of one metric
    render(matrix_view(result, meta), "csv") -> text (a View: the matrix, its notes, its JSON
                                                metadata; render never computes)

or in one call on a DataFrame: ``cohort_matrix(frame, customer=..., date=..., amount=...)``.
Attributes load on first use, so that ``retain --help`` does not import pandas.
"""

from importlib import import_module

__version__ = "0.1.0"

_EXPORTS = {
    "cohort_matrix": "retain.pipeline",
    "read_activity": "retain.pipeline",
    "frame_activity": "retain.pipeline",
    "cohorts_of": "retain.pipeline",
    "customers_of": "retain.pipeline",
    "summary": "retain.pipeline",
    "customers": "retain.pipeline",
    "report": "retain.pipeline",
    "rfm": "retain.pipeline",
    "at_risk": "retain.pipeline",
    "churn_model": "retain.pipeline",
    "heatmap": "retain.render.plot",
    "curves": "retain.render.plot",
    "View": "retain.views",
    "matrix_view": "retain.views",
    "Settings": "retain.settings",
    "Activity": "retain.pipeline",
    "read_table": "retain.sources.files",
    "normalize": "retain.normalize",
    "detect_columns": "retain.normalize",
    "DateOptions": "retain.normalize",
    "build_activity": "retain.activity",
    "merge_activity": "retain.activity",
    "assign_cohorts": "retain.cohorts",
    "cohort_grids": "retain.metrics",
    "cohort_table": "retain.metrics",
    "CohortResult": "retain.metrics",
    "render": "retain.render",
    "style": "retain.render.notebook",
    "RetainError": "retain.errors",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'retain' has no attribute {name!r}")


def __dir__():
    return __all__
