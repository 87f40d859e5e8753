"""Canonical transactions -> one row per (customer, period): ``orders`` and ``revenue``.

Periods are integer ordinals (consecutive periods differ by 1), so period offsets are plain
subtraction (METRICS.md, Cohorts: Period offset). Each batch reduces to ``Cells``: sums per
(customer key, period), exact (integer amounts) and associative, so the cells of any batches
merge (``merge_cells``, partition by partition) into the table of the whole.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from retain.errors import RetainError

PERIODS = ("day", "week", "month", "quarter", "year")
WEEK_STARTS = ("monday", "sunday")
# 1970-01-01 was a Thursday: day 0 is 3 days after a Monday, 4 after a Sunday.
_WEEK_SHIFT = {"monday": 3, "sunday": 4}


def period_ordinals(
    timestamps: pd.Series | np.ndarray, period: str, week_start: str = "monday"
) -> np.ndarray:
    """The ordinal of the period each timestamp falls in."""
    values = np.asarray(timestamps, dtype="datetime64[us]")
    if len(values) > 1 << 16 and period in ("month", "quarter", "year"):
        # calendar arithmetic once per day of the range, then a lookup per row
        days = values.astype("datetime64[D]").astype(np.int64)
        first = int(days.min())
        span = np.arange(first, int(days.max()) + 1).astype("datetime64[D]")
        return period_ordinals(span, period, week_start)[days - first]
    if period == "day":
        return values.astype("datetime64[D]").astype(np.int64)
    if period == "week":
        return (values.astype("datetime64[D]").astype(np.int64) + _WEEK_SHIFT[week_start]) // 7
    if period == "month":
        return values.astype("datetime64[M]").astype(np.int64)
    if period == "quarter":
        return values.astype("datetime64[M]").astype(np.int64) // 3
    if period == "year":
        return values.astype("datetime64[Y]").astype(np.int64)
    raise ValueError(f"unknown period {period!r}; choose one of {', '.join(PERIODS)}")


def period_starts(ordinals: np.ndarray, period: str, week_start: str = "monday") -> np.ndarray:
    """The first day (datetime64[D]) of each period."""
    ordinals = np.asarray(ordinals, dtype=np.int64)
    if period == "day":
        return ordinals.astype("datetime64[D]")
    if period == "week":
        return (ordinals * 7 - _WEEK_SHIFT[week_start]).astype("datetime64[D]")
    if period == "month":
        return ordinals.astype("datetime64[M]").astype("datetime64[D]")
    if period == "quarter":
        return (ordinals * 3).astype("datetime64[M]").astype("datetime64[D]")
    if period == "year":
        return ordinals.astype("datetime64[Y]").astype("datetime64[D]")
    raise ValueError(f"unknown period {period!r}")


def period_label(ordinal: int, period: str, week_start: str = "monday") -> str:
    """METRICS.md labels: ``2024-03-05``, ``2024-W10`` (Sunday weeks: ``2024-03-03``), ``2024-03``,
    ``2024Q1``, ``2024``."""
    start = period_starts(np.array([ordinal]), period, week_start)[0].astype(dt.date)
    if period == "week" and week_start == "monday":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "month":
        return f"{start.year}-{start.month:02d}"
    if period == "quarter":
        return f"{start.year}Q{(start.month - 1) // 3 + 1}"
    if period == "year":
        return str(start.year)
    return start.isoformat()


# Customer ids of up to 8 ASCII bytes are held as int64 keys: the id's bytes (space-padded; ids
# never end in a space) times an odd constant, a one-to-one map that spreads the bits for
# hashing. The same id gives the same key in every file and chunk, and keys decode back to ids.
_MIX = np.uint64(0x9E3779B97F4A7C15)
_UNMIX = np.uint64(pow(0x9E3779B97F4A7C15, -1, 1 << 64))


def customer_keys(ids: pa.Array) -> np.ndarray | None:
    """int64 keys standing one-to-one for the ids, or None when an id is not short ASCII."""
    if len(ids) == 0 or ids.null_count or not pc.all(pc.string_is_ascii(ids)).as_py():
        return None
    if pc.max(pc.binary_length(ids)).as_py() > 8:
        return None
    text = _fixed_width_text(ids)
    if text is not None:  # the text buffer is already fixed-width records
        padded = np.full((len(ids), 8), ord(" "), dtype=np.uint8)
        padded[:, : text.shape[1]] = text
        words = padded.view(np.uint64).ravel()
    else:
        fixed = pc.utf8_rpad(ids, 8, " ").cast(pa.binary(8))
        words = np.frombuffer(fixed.buffers()[1], np.uint64, len(fixed), fixed.offset * 8)
    return (words * _MIX).view(np.int64)


def decode_keys(keys: np.ndarray) -> np.ndarray:
    """The customer ids that ``customer_keys`` turned into ``keys``."""
    words = keys.astype(np.int64).view(np.uint64) * _UNMIX
    # per key in Python: numpy's fixed-width strings would drop trailing NUL bytes
    return np.array([bytes(w).rstrip(b" ").decode("ascii") for w in words.view("V8")], object)


def exact_sums(cell: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Exact integer sums of ``values`` per cell (bincount adds in float64: exact below 2**53)."""
    if float(np.abs(values).sum(dtype=np.float64)) < 2**52:
        return np.bincount(cell, weights=values, minlength=size).astype(np.int64)
    sums = np.zeros(size, dtype=np.int64)
    found = pd.Series(values).groupby(cell).sum()
    sums[found.index.to_numpy()] = found.to_numpy()
    return sums


def sort_in_place(values: np.ndarray) -> None:
    """``values.sort()`` on both cores: halves sorted in two threads (numpy lets go of the GIL),
    then one stable pass, which merges two sorted runs in linear time."""
    if len(values) < 1 << 20:
        values.sort()
        return
    half = len(values) // 2
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(np.ndarray.sort, [values[:half], values[half:]]))
    values.sort(kind="stable")


def _fixed_width_text(ids: pa.Array) -> np.ndarray | None:
    """The ids' bytes as an (n, width) array when every id has the same length, else None."""
    lengths = pc.min_max(pc.binary_length(ids)).as_py()
    if lengths["min"] != lengths["max"] or not lengths["max"]:
        return None
    offsets = np.frombuffer(ids.buffers()[1], np.int32, len(ids) + 1, ids.offset)
    text = np.frombuffer(ids.buffers()[2], np.uint8)[offsets[0] : offsets[-1]]
    return text.reshape(len(ids), lengths["max"])


def build_activity(
    transactions: pd.DataFrame, period: str = "month", week_start: str = "monday"
) -> pd.DataFrame:
    """One row per (customer, period) with ``orders`` (rows with amount >= 0, every row without
    an amount column) and ``revenue`` (net sum of amounts, only when there are amounts).

    METRICS.md, Input: a customer is active in a period when ``orders > 0`` there. ``customer``
    is categorical: its categories are int64 keys when every id is short ASCII
    (``decode_keys`` gives the ids back), else the ids. Row order is not defined.
    """
    return build_cells(transactions, period, week_start).table()


def merge_activity(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """The activity table of the union of the inputs of ``tables`` (exact, any grouping)."""
    return merge_cells([_cells_of(t) for t in tables])


def _cells_of(table: pd.DataFrame) -> Cells:
    """An activity table's rows as cells: keyed by its int64 keys, or by its ids' hashes."""
    customer = table["customer"]
    categories, codes = customer.cat.categories, customer.cat.codes.to_numpy()
    revenue = table["revenue"].to_numpy(np.int64) if "revenue" in table else None
    columns = [table["period"].to_numpy(np.int64), table["orders"].to_numpy(np.int64), revenue]
    if categories.dtype == np.int64:
        return Cells(np.asarray(categories)[codes], *columns)
    ids = pa.array(np.asarray(categories, dtype=object), pa.string())
    hashes = _checked_hashes(ids)
    return Cells(hashes[codes], *columns, names=(hashes, ids))


PARTITION_BITS = 4  # 16 customer partitions: a customer's rows all land in one


@dataclass
class Cells:
    """Sums per (customer, period) cell of a batch: the int64 key of each cell's customer (short
    ASCII ids packed one-to-one, longer ids by a checked 64-bit hash; the same id gives the same
    key in every batch and file), its period, orders and revenue (None without amounts). Cells
    of batches merge exactly with ``merge_cells``."""

    keys: np.ndarray
    period: np.ndarray
    orders: np.ndarray
    revenue: np.ndarray | None
    # where keys are hashes of longer ids: the batch's distinct keys and their ids
    names: tuple[np.ndarray, pa.Array] | None = None
    bounds: np.ndarray | None = None  # cells sorted by partition: where each partition starts
    name_bounds: np.ndarray | None = None

    def __post_init__(self):
        if self.bounds is None:  # sort by partition, in the worker that made the cells
            order, self.bounds = _by_partition(self.keys)
            for name in ("keys", "period", "orders", "revenue"):
                if getattr(self, name) is not None:
                    setattr(self, name, getattr(self, name)[order])
            if self.names is not None:
                order, self.name_bounds = _by_partition(self.names[0])
                self.names = (self.names[0][order], self.names[1].take(pa.array(order)))

    def hashed(self) -> Cells:
        """These cells keyed by the hashes of their ids (for merging with cells of longer
        ids), where they are keyed by short-id keys."""
        if self.names is not None:
            return self
        distinct = np.unique(self.keys)
        ids = pa.array(decode_keys(distinct), pa.string())
        hashes = hash_ids(ids)
        keys = hashes[np.searchsorted(distinct, self.keys)]
        return Cells(keys, self.period, self.orders, self.revenue, (hashes, ids))

    def table(self) -> pd.DataFrame:
        """The activity table of these cells (customers as categorical keys, or ids)."""
        return merge_cells([self])


def build_cells(
    transactions: pd.DataFrame, period: str = "month", week_start: str = "monday"
) -> Cells:
    """The cells of a batch of transactions (METRICS.md, Input: ``orders`` are rows with amount
    >= 0, or every row without amounts; ``revenue`` the net sum)."""
    ids = pa.array(transactions["customer"], type=pa.string())
    if isinstance(ids, pa.ChunkedArray):
        ids = ids.combine_chunks()
    keys, names = customer_keys(ids), None
    if keys is None:  # longer ids: keyed by a 64-bit hash of each, checked to tell them apart
        encoded = pc.dictionary_encode(ids)
        hashes = _checked_hashes(encoded.dictionary)
        keys, names = hashes[encoded.indices.to_numpy()], (hashes, encoded.dictionary)
    periods = period_ordinals(transactions["timestamp"], period, week_start)
    sums = [np.ones(len(transactions), dtype=np.int64)]
    if "amount" in transactions:
        revenue = transactions["amount"].to_numpy(dtype=np.int64)
        sums = [(revenue >= 0).astype(np.int64), revenue]
    distinct, code, cell_period, *totals = _reduce_keys(keys, periods, *sums)
    revenue = totals[1] if len(totals) > 1 else None
    return Cells(distinct[code], cell_period, totals[0], revenue, names)


def merge_cells(cells: list[Cells], run=map) -> pd.DataFrame:
    """The activity table of the union of the batches of ``cells`` (exact, any grouping),
    partition by partition: each batch's cells split by the top bits of their keys, and each
    partition merged on its own (``run`` maps over partitions, for example on a thread pool).
    Customers never span partitions, so the partitions put side by side are the whole table.
    ``cells`` is emptied once merged, so that its memory goes before the table is assembled."""
    revenue = cells[0].revenue is not None
    hashed = any(c.names is not None for c in cells)
    if hashed:
        cells[:] = [c.hashed() for c in cells]

    def merge(p: int) -> list[np.ndarray]:
        parts = []
        for batch in cells:
            start, end = batch.bounds[p], batch.bounds[p + 1]
            columns = [batch.keys, batch.period, batch.orders] + [batch.revenue] * revenue
            parts.append([c[start:end] for c in columns])
        merged = _reduce_keys(*[np.concatenate(c) for c in zip(*parts, strict=True)])
        if hashed:  # the partition's customers as ids
            merged[0] = _names(cells, p, merged[0])
        return merged

    merged = list(run(merge, range(1 << PARTITION_BITS)))
    cells.clear()  # the batches' cells are merged: let them go before the table is assembled
    offsets = np.cumsum([0] + [len(m[0]) for m in merged])
    codes = np.concatenate([m[1] + offsets[i] for i, m in enumerate(merged)])
    if hashed:  # ids, as Arrow strings: never one Python object per customer
        ids = pa.chunked_array([m[0] for m in merged], pa.string())
        categories = pd.Index(pd.arrays.ArrowStringArray(ids))
    else:
        categories = pd.Index(np.concatenate([m[0] for m in merged]))
    columns = {
        "customer": _categorical(codes, categories),
        "period": np.concatenate([m[2] for m in merged]),
        "orders": np.concatenate([m[3] for m in merged]),
    }
    if revenue:
        columns["revenue"] = np.concatenate([m[4] for m in merged])
    return pd.DataFrame(columns, copy=False)  # no copy into one block: the arrays are new


def _categorical(codes: np.ndarray, categories: pd.Index) -> pd.Categorical:
    """Codes over categories that are distinct by construction (keys or ids of disjoint
    partitions): the uniqueness check that ``from_codes`` makes is skipped where pandas allows."""
    try:
        dtype = pd.CategoricalDtype._from_fastpath(categories, False)
    except AttributeError:  # a pandas without the fast path: checked, and correct all the same
        dtype = pd.CategoricalDtype(categories)
    return pd.Categorical.from_codes(codes, dtype=dtype, validate=False)


def _checked_hashes(ids: pa.Array) -> np.ndarray:
    """``hash_ids`` of distinct ids, refusing two ids with one hash."""
    hashes = hash_ids(ids)
    order = np.argsort(hashes)
    _refuse_collisions(ids.take(pa.array(order)), np.flatnonzero(np.diff(hashes[order]) == 0))
    return hashes


def _refuse_collisions(ids: pa.Array, same: np.ndarray) -> None:
    """Stop when ids at ``same`` and ``same + 1`` (equal hashes) are different ids: one pass
    cannot tell such customers apart, and they must never count as one."""
    if not len(same):
        return
    first, second = ids.take(pa.array(same)), ids.take(pa.array(same + 1))
    differ = np.flatnonzero(pc.not_equal(first, second).to_numpy(zero_copy_only=False))
    if len(differ):
        a, b = first[int(differ[0])].as_py(), second[int(differ[0])].as_py()
        raise RetainError(
            f"customer ids {a!r} and {b!r} have the same 64-bit hash, so one pass cannot tell "
            "them apart; please report it"
        )


def _by_partition(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The order that sorts keys by partition (the keys' top bits), and where each starts."""
    part = (keys.view(np.uint64) >> np.uint64(64 - PARTITION_BITS)).astype(np.int64)
    order = np.argsort(part, kind="stable")
    return order, np.searchsorted(part[order], np.arange((1 << PARTITION_BITS) + 1))


def _names(cells: list[Cells], p: int, keys: np.ndarray) -> np.ndarray:
    """The ids of partition ``p``'s distinct ``keys`` (hashes), from the batches' names; two
    different ids with one hash are an error, never one customer."""
    hashes = np.concatenate([c.names[0][c.name_bounds[p] : c.name_bounds[p + 1]] for c in cells])
    ids = pa.concat_arrays(
        [c.names[1].slice(c.name_bounds[p], c.name_bounds[p + 1] - c.name_bounds[p]) for c in cells]
    )
    order = np.argsort(hashes)
    hashes, ids = hashes[order], ids.take(pa.array(order))
    same = np.flatnonzero(hashes[1:] == hashes[:-1])
    _refuse_collisions(ids, same)
    keep = np.ones(len(hashes), dtype=bool)
    keep[same + 1] = False
    unique_hashes, unique_ids = hashes[keep], ids.filter(pa.array(keep))
    return unique_ids.take(pa.array(np.searchsorted(unique_hashes, keys)))


_M1, _M2, _M3 = (np.uint64(c) for c in (0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB))


def hash_ids(ids: pa.Array) -> np.ndarray:
    """A 64-bit hash (int64) of each id's bytes: the bytes in 8-byte words, each mixed in by a
    multiply and a shift (the splitmix64 steps), the length first. Ids of one length are hashed
    together, so that no id is copied more than once."""
    lengths = pc.binary_length(ids).to_numpy(zero_copy_only=False)
    out = np.empty(len(ids), dtype=np.uint64)
    for length in np.unique(lengths):
        rows = np.flatnonzero(lengths == length)
        same = ids if len(rows) == len(ids) else ids.take(pa.array(rows))
        offsets = np.frombuffer(same.buffers()[1], np.int32, len(same) + 1, same.offset)
        text = np.frombuffer(same.buffers()[2], np.uint8)[offsets[0] : offsets[-1]]
        words = np.zeros((len(same), max(-(-int(length) // 8), 1) * 8), dtype=np.uint8)
        words[:, : int(length)] = text.reshape(len(same), int(length))
        words = words.view(np.uint64)
        h = np.full(len(same), np.uint64(int(length) * 0x9E3779B97F4A7C15 % (1 << 64)))
        with np.errstate(over="ignore"):
            for j in range(words.shape[1]):
                h ^= words[:, j]
                h *= _M2
                h ^= h >> np.uint64(31)
            h *= _M3
            h ^= h >> np.uint64(29)
        out[rows] = h
    return out.view(np.int64)


def _reduce_keys(keys: np.ndarray, period: np.ndarray, *sums: np.ndarray) -> list[np.ndarray]:
    """Exact sums per (key, period) cell: the distinct keys, each cell's key code and period,
    then each sum. One sort of packed (cell, row) pairs; integer sums per run."""
    if len(keys) == 0:
        return [keys, keys, period, *(s[:0] for s in sums)]
    codes, distinct = pd.factorize(keys)  # dense codes, so that (code, period) is one int64
    first, span = int(period.min()), int(period.max() - period.min()) + 1
    cell = codes.astype(np.int64) * span + (period - first)
    row_bits = max(len(cell) - 1, 1).bit_length()
    if (len(distinct) * span).bit_length() + row_bits <= 63:  # sort (cell, row) pairs in place
        cell <<= row_bits
        cell |= np.arange(len(cell))
        sort_in_place(cell)
        order = cell & ((1 << row_bits) - 1)
    else:
        order = np.argsort(cell, kind="stable")
    keys, period = keys[order], period[order]
    change = np.empty(len(keys), dtype=bool)
    change[0] = True
    np.not_equal(keys[1:], keys[:-1], out=change[1:])
    new_key = change.copy()
    change[1:] |= period[1:] != period[:-1]
    starts = np.flatnonzero(change)
    code = np.cumsum(new_key[starts]) - 1
    return [
        keys[np.flatnonzero(new_key)], code, period[starts],
        *(np.add.reduceat(s[order], starts) for s in sums),
    ]  # fmt: skip
