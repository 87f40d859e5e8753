"""The batches' cells, held until they are merged: in memory up to a budget, then on disk.

Each batch's cells arrive sorted by partition (``activity.Cells``). While they fit the budget
(``--memory-limit``) they stay in memory; past it, every batch held so far is written to a
temporary file (Arrow IPC, one per batch) and memory is free again. The merge then goes
partition by partition (``fold``): it maps each spilled file, copies out that partition's slice
alone, and merges it with the slices still in memory. A customer's cells all lie in one
partition, so peak memory is the budget plus one partition's merge per worker, whatever the
size of the whole activity table.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from retain.activity import PARTITIONS, Cells, Part, activity_table, merge_parts

MEMORY_LIMIT = 1 << 30  # cells held in memory before they spill to disk: 1 GiB


@dataclass
class Spilled:
    """A batch's cells in a file: its partition bounds, kept in memory."""

    path: str
    bounds: np.ndarray
    name_bounds: np.ndarray | None
    revenue: bool


class CellStore:
    """Cells of batches by job, in memory up to ``limit`` bytes, the rest spilled to disk (in
    ``directory``, by default the system's temporary directory, removed when the store goes).
    Cells keyed by short-id keys are re-keyed by id hashes as soon as one batch needs hashes
    (``Cells.hashed``), so that the store is keyed alike throughout."""

    def __init__(self, limit: int | None = None, directory: str | None = None):
        self.limit = MEMORY_LIMIT if limit is None else limit
        self.directory = directory
        self.held: dict[object, Cells] = {}
        self.spilled: dict[object, Spilled] = {}
        self.hashed = False
        self.nbytes = 0
        self.spills = 0  # how many times the held cells went to disk
        self._folder: str | None = None

    def __bool__(self) -> bool:
        return bool(self.held or self.spilled)

    def add(self, job, cells: Cells) -> None:
        """Keep ``job``'s cells (replacing any it had)."""
        self.discard(job)
        if cells.names is not None and not self.hashed:
            self.hashed = True
            self._rekey()
        if self.hashed:
            cells = cells.hashed()
        self.held[job] = cells
        self.nbytes += cells.nbytes
        if self.nbytes > self.limit:
            self.spill()

    def discard(self, job) -> None:
        """Forget ``job``'s cells (a batch read again)."""
        if job in self.held:
            self.nbytes -= self.held.pop(job).nbytes
        if job in self.spilled:
            os.remove(self.spilled.pop(job).path)

    def spill(self) -> None:
        """Write every batch held in memory to its own file, and let the memory go."""
        for job, cells in self.held.items():
            path = os.path.join(self._dir(), f"cells-{len(self.spilled) + self.spills:06d}")
            columns = {"keys": cells.keys, "period": cells.period, "orders": cells.orders}
            if cells.revenue is not None:
                columns["revenue"] = cells.revenue
            _write(path + ".arrow", pa.table(columns))
            if cells.names is not None:
                _write(path + ".names.arrow", pa.table({"hash": cells.names[0],
                                                        "id": cells.names[1]}))  # fmt: skip
            self.spilled[job] = Spilled(path, cells.bounds, cells.name_bounds,
                                        cells.revenue is not None)  # fmt: skip
        self.spills += 1
        self.held.clear()
        self.nbytes = 0

    def part(self, p: int) -> Part:
        """Partition ``p`` of every batch's cells, merged exactly."""
        parts = [cells.part(p) for cells in self.held.values()]
        parts += [_read_part(spilled, p) for spilled in self.spilled.values()]
        return merge_parts(parts)

    def fold(self, work: Callable[[Part], object], run=map) -> list:
        """``work`` of each merged partition, in partition order (``run`` maps over
        partitions, for example on a thread pool); only one partition per worker is merged at
        a time."""
        return list(run(lambda p: work(self.part(p)), range(PARTITIONS)))

    def table(self, run=map) -> pd.DataFrame:
        """The whole activity table (``activity.activity_table``): every partition at once."""
        return activity_table(self.fold(lambda part: part, run))

    def _rekey(self) -> None:
        """Re-key every batch held or spilled by id hashes (once, when hashes first appear)."""
        for job in list(self.held):
            self.nbytes -= self.held[job].nbytes
            self.held[job] = self.held[job].hashed()
            self.nbytes += self.held[job].nbytes
        for job, spilled in list(self.spilled.items()):
            parts = [_read_part(spilled, p) for p in range(PARTITIONS)]
            cells = Cells(*(np.concatenate([getattr(p, c) for p in parts])
                            for c in ("keys", "period", "orders")),
                          np.concatenate([p.revenue for p in parts]) if spilled.revenue
                          else None)  # fmt: skip
            self.discard(job)
            self.held[job] = cells.hashed()
            self.nbytes += self.held[job].nbytes

    def _dir(self) -> str:
        if self._folder is None:
            self._folder = tempfile.mkdtemp(prefix="retain-spill-", dir=self.directory)
            weakref.finalize(self, shutil.rmtree, self._folder, ignore_errors=True)
        return self._folder


def _write(path: str, table: pa.Table) -> None:
    with pa.OSFile(path, "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


def _read_part(spilled: Spilled, p: int) -> Part:
    """Partition ``p`` of a spilled batch: only its slice is read and copied."""
    start, end = int(spilled.bounds[p]), int(spilled.bounds[p + 1])
    with pa.memory_map(spilled.path + ".arrow") as source:
        batch = pa.ipc.open_file(source).read_all()
        columns = {
            name: batch.column(name).slice(start, end - start).to_numpy().copy()
            for name in batch.column_names
        }
    names = None
    if spilled.name_bounds is not None:
        first, last = int(spilled.name_bounds[p]), int(spilled.name_bounds[p + 1])
        with pa.memory_map(spilled.path + ".names.arrow") as source:
            table = pa.ipc.open_file(source).read_all()
            names = (
                table.column("hash").slice(first, last - first).to_numpy().copy(),
                # take copies the strings out of the mapped file
                table.column("id").take(np.arange(first, last)).combine_chunks(),
            )
    return Part(columns["keys"], columns["period"], columns["orders"], columns.get("revenue"),
                names)  # fmt: skip
