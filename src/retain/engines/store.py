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

import glob
import os
import shutil
import tempfile
import weakref
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from retain.activity import (
    EXTRA,
    PARTITION_BITS,
    Cells,
    Part,
    _span,
    activity_table,
    key_ranges,
    merge_parts,
)

MEMORY_LIMIT = 1 << 30  # cells held in memory before they spill to disk: 1 GiB


MAX_BITS = 12  # at most 4096 partitions
MIN_PART = 16 << 20  # and no smaller than 16 MB of cells each


@dataclass
class Spilled:
    """A batch's cells in a file (sorted by key, as in memory)."""

    path: str
    nbytes: int
    revenue: bool
    hashed: bool


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
        self.files = 0
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
            spilled = self.spilled.pop(job)
            for path in glob.glob(glob.escape(spilled.path) + ".*"):
                os.remove(path)

    def spill(self) -> None:
        """Write every batch held in memory to its own file, and let the memory go."""
        for job, cells in self.held.items():
            self.files += 1
            path = os.path.join(self._dir(), f"cells-{self.files:06d}")
            columns = {"keys": cells.keys, "period": cells.period, "orders": cells.orders}
            if cells.revenue is not None:
                columns["revenue"] = cells.revenue
            if cells.segment is not None:
                columns["first"], columns["segment"] = cells.first, cells.segment
            columns.update(cells.extra)
            _write(path + ".arrow", pa.table(columns))
            if cells.names is not None:
                _write(path + ".names.arrow", pa.table({"hash": cells.names[0],
                                                        "id": cells.names[1]}))  # fmt: skip
            self.spilled[job] = Spilled(path, cells.nbytes, cells.revenue is not None,
                                        cells.names is not None)  # fmt: skip
        self.spills += 1
        self.held.clear()
        self.nbytes = 0

    def part(self, low: int, high: int | None) -> Part:
        """The cells of every batch with keys in ``[low, high)``, merged exactly."""
        parts = [cells.part(low, high) for cells in self.held.values()]
        parts += [_read_part(spilled, low, high) for spilled in self.spilled.values()]
        return merge_parts(parts)

    def fold(self, work: Callable[[Part], object], run=map) -> list:
        """``work`` of each merged partition, in key order (``run`` maps over partitions, for
        example on a thread pool); only one partition per worker is merged at a time. Once
        cells have spilled, the rest spill too, and the keys are cut into enough partitions
        that each one's merge (about four times its cells) stays within an eighth of the
        budget (or 16 MB of cells)."""
        bits = PARTITION_BITS
        if self.spilled:
            self.spill()
            total = sum(s.nbytes for s in self.spilled.values())
            while total >> bits > max(self.limit // 8, MIN_PART) and bits < MAX_BITS:
                bits += 1
        return list(run(lambda r: work(self.part(*r)), key_ranges(bits)))

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
            part = _read_part(spilled, -(1 << 63), None)
            cells = Cells(part.keys, part.period, part.orders, part.revenue, None, part.first,
                          part.segment, part.extra)  # fmt: skip
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


def _batch(source) -> pa.RecordBatch:
    """The one record batch of a spilled file, as views of the mapped file."""
    reader = pa.ipc.open_file(source)
    if reader.num_record_batches == 1:
        return reader.get_batch(0)
    return pa.RecordBatch.from_pylist([], schema=reader.schema)


def _read_part(spilled: Spilled, low: int, high: int | None) -> Part:
    """The cells of a spilled batch with keys in ``[low, high)``: only their slice is read
    and copied out of the mapped file."""
    with pa.memory_map(spilled.path + ".arrow") as source:
        batch = _batch(source)
        start, end = _span(batch.column("keys").to_numpy(), low, high)
        columns = {
            name: batch.column(name).slice(start, end - start).to_numpy().copy()
            for name in batch.column_names
            if name != "segment"
        }
        columns["segment"] = None
        if "segment" in batch.column_names:  # take copies the strings out of the mapped file
            text = batch.column("segment").slice(start, end - start)
            columns["segment"] = text.take(np.arange(end - start))
    names = None
    if spilled.hashed:
        with pa.memory_map(spilled.path + ".names.arrow") as source:
            table = _batch(source)
            first, last = _span(table.column("hash").to_numpy(), low, high)
            names = (
                table.column("hash").slice(first, last - first).to_numpy().copy(),
                # take copies the strings out of the mapped file
                table.column("id").take(np.arange(first, last)),
            )
    return Part(columns["keys"], columns["period"], columns["orders"], columns.get("revenue"),
                names, columns.get("first"), columns["segment"],
                {name: columns[name] for name in EXTRA if name in columns})  # fmt: skip
