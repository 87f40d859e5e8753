"""The local engine: batches on a pool of threads, one worker per core, results in order.

Each worker parses, selects, normalizes and reduces a whole batch (pyarrow and numpy let go of
the GIL for the heavy parts), so both cores stay busy and only the small activity tables of
the batches come back. Results are handed on in the batches' order, whatever order the workers
finish in, so that counts, examples and errors never depend on timing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

Job = TypeVar("Job")
Result = TypeVar("Result")


def workers() -> int:
    """One worker per core this process may use."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def run(
    work: Callable[[Job], Result], jobs: Iterable[Job], threads: int | None = None
) -> Iterator[Result]:
    """``work`` of every job, in the jobs' order; at most twice as many jobs in flight as
    threads, so memory holds a few batches, not the file."""
    jobs = list(jobs)
    threads = threads or workers()
    if threads == 1 or len(jobs) <= 1:
        yield from map(work, jobs)
        return
    with ThreadPoolExecutor(threads) as pool:
        pending = []
        for job in jobs:
            pending.append(pool.submit(work, job))
            if len(pending) > 2 * threads:
                yield pending.pop(0).result()
        for future in pending:
            yield future.result()
