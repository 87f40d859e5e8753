"""The Dask engine: the same per-batch work as the local engine, on a Dask cluster.

Each batch is one task; only its small piece (the batch's cells and row accounting) comes back
to the client, which merges them as the local engine does. The workers read the inputs
themselves, so the files must be at the same path on every worker (one machine, or a shared
filesystem); standard input and pipes are read by the client and shipped with the tasks.
Needs the ``dask`` extra: ``pip install 'retain[dask]'``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from retain.engines.local import workers
from retain.errors import RetainError

CONNECT_SECONDS = 10  # how long to try a scheduler before saying it cannot be reached


def run(work: Callable, jobs: Iterable, scheduler: str | None = None) -> Iterator:
    """``work`` of every job on the cluster at ``scheduler`` (``tcp://host:8786``), or on a
    local cluster of one single-threaded worker process per core; results in the jobs' order."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise RetainError(
            "the dask engine needs Dask: pip install 'retain[dask]' (or pass --engine local)"
        ) from None
    jobs = list(jobs)
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=workers(), threads_per_worker=1, processes=True, dashboard_address=None
        )
    try:
        with Client(scheduler or cluster, timeout=CONNECT_SECONDS) as client:
            futures = client.map(work, jobs, pure=False)
            for future in futures:  # in order: counts, examples and errors never depend on timing
                yield future.result()
    except OSError as exc:
        raise RetainError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from None
    finally:
        if cluster is not None:
            cluster.close()
