"""Canonical transactions -> one row per (customer, period): ``orders`` and ``revenue``.

Periods are integer ordinals (consecutive periods differ by 1), so period offsets are plain
subtraction (METRICS.md, Cohorts: Period offset). Each batch reduces to ``Cells``: sums per
(customer key, period), exact (integer amounts) and associative, so the cells of any batches
merge (``merge_cells``, partition by partition) into the table of the whole.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

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
    (``decode_keys`` gives the ids back), else the ids. Rows are sorted by customer key, then
    period.
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


PARTITION_BITS = 4  # at least 16 customer partitions: a customer's cells all land in one


def key_ranges(bits: int = PARTITION_BITS) -> list[tuple[int, int | None]]:
    """``2**bits`` partitions as ranges ``[low, high)`` of int64 keys (None: no upper end), in
    key order, so that the partitions put side by side are sorted by key."""
    step = 1 << (64 - bits)
    lows = [-(1 << 63) + i * step for i in range(1 << bits)]
    return list(zip(lows, [*lows[1:], None], strict=True))


def _span(keys: np.ndarray, low: int, high: int | None) -> tuple[int, int]:
    """Where the sorted ``keys`` of ``[low, high)`` start and end."""
    start = int(np.searchsorted(keys, low))
    return start, len(keys) if high is None else int(np.searchsorted(keys, high))


@dataclass
class Part:
    """Cells of one partition: customer keys, periods, orders, revenue (None without amounts),
    and where keys are hashes of longer ids, ``names``: distinct hashes and their ids."""

    keys: np.ndarray
    period: np.ndarray
    orders: np.ndarray
    revenue: np.ndarray | None
    names: tuple[np.ndarray, pa.Array] | None = None
    # with segments: each cell's earliest active time (NO_TIME where none) and its segment
    first: np.ndarray | None = None
    segment: pa.Array | None = None
    # per-cell columns reduced by EXTRA: "start" (the earliest signup or start-event period),
    # "tmin" and "tmax" (the earliest and latest active times, for windows from a first activity)
    extra: dict = field(default_factory=dict)

    @property
    def nbytes(self) -> int:
        arrays = [self.keys, self.period, self.orders, self.revenue, self.first,
                  *self.extra.values()]  # fmt: skip
        names = self.names[0].nbytes + self.names[1].nbytes if self.names else 0
        segment = self.segment.nbytes if self.segment is not None else 0
        return sum(a.nbytes for a in arrays if a is not None) + names + segment


@dataclass
class Cells(Part):
    """Sums per (customer, period) cell of a batch: the int64 key of each cell's customer (short
    ASCII ids packed one-to-one, longer ids by a checked 64-bit hash; the same id gives the same
    key in every batch and file), its period, orders and revenue (None without amounts), sorted
    by key. Cells of batches merge exactly with ``merge_cells``, partition by partition: a
    partition is a range of keys (``key_ranges``), and ``part`` cuts it out of the cells."""

    def __post_init__(self):  # sorted by key (names by hash), in the worker that made them
        if len(self.keys) > 1 and (self.keys[1:] < self.keys[:-1]).any():
            order = np.argsort(self.keys, kind="stable")
            for name in ("keys", "period", "orders", "revenue", "first"):
                if getattr(self, name) is not None:
                    setattr(self, name, getattr(self, name)[order])
            self.extra = {name: values[order] for name, values in self.extra.items()}
            if self.segment is not None:
                self.segment = self.segment.take(pa.array(order))
        if self.names is not None:
            order = np.argsort(self.names[0])
            self.names = (self.names[0][order], self.names[1].take(pa.array(order)))

    def part(self, low: int, high: int | None) -> Part:
        """The cells whose keys lie in ``[low, high)`` (views, no copy)."""
        start, end = _span(self.keys, low, high)
        names = None
        if self.names is not None:
            first, last = _span(self.names[0], low, high)
            names = (self.names[0][first:last], self.names[1].slice(first, last - first))
        revenue = None if self.revenue is None else self.revenue[start:end]
        first = None if self.first is None else self.first[start:end]
        segment = None if self.segment is None else self.segment.slice(start, end - start)
        extra = {name: values[start:end] for name, values in self.extra.items()}
        return Part(self.keys[start:end], self.period[start:end], self.orders[start:end],
                    revenue, names, first, segment, extra)  # fmt: skip

    def hashed(self) -> Cells:
        """These cells keyed by the hashes of their ids (to merge with cells of longer ids),
        where they are keyed by short-id keys; partitioned anew."""
        if self.names is not None:
            return self
        distinct = np.unique(self.keys)
        ids = pa.array(decode_keys(distinct), pa.string())
        hashes = hash_ids(ids)
        keys = hashes[np.searchsorted(distinct, self.keys)]
        return Cells(keys, self.period, self.orders, self.revenue, (hashes, ids), self.first,
                     self.segment, self.extra)  # fmt: skip

    def table(self) -> pd.DataFrame:
        """The activity table of these cells (customers as categorical keys, or ids)."""
        return merge_cells([self])


def build_cells(
    transactions: pd.DataFrame, period: str = "month", week_start: str = "monday",
    times: bool = False, listed: bool | None = None, gross: bool = False,
) -> Cells:  # fmt: skip
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
    first = None
    if listed:  # rows of a customers table: no activity, only who is listed
        sums = [np.zeros(len(transactions), np.int64) for _ in sums]
    if "segment" in transactions:  # the earliest active row's segment, per cell
        time = np.asarray(transactions["timestamp"], dtype="datetime64[us]").view(np.int64)
        time = np.where(sums[0] > 0, time, NO_TIME)
        if listed:  # a customers table's segment comes before any activity's
            time = np.full(len(transactions), -NO_TIME)
        first = (time, pa.array(transactions["segment"], pa.string()))
    if "returns" in transactions:  # with start events, only return rows are activity
        returns = transactions["returns"].to_numpy(bool)
        sums = [s * returns for s in sums]
    extra = {}
    if "start" in transactions:  # the period each row starts a cohort in; NO_TIME for none
        days = np.asarray(transactions["start"], dtype="datetime64[us]")
        known = ~np.isnat(days)
        extra["start"] = np.full(len(days), NO_TIME)
        extra["start"][known] = period_ordinals(days[known], period, week_start)
    if listed is not None:  # with a customers table: whether the cell's customer is listed
        extra["listed"] = np.full(len(transactions), int(listed), np.int64)
    if gross and "amount" in transactions:  # the revenue of orders alone (amount >= 0)
        extra["gross"] = np.where(sums[0] > 0, sums[1], 0)
    if times:  # the earliest and latest active times of each cell
        time = np.asarray(transactions["timestamp"], dtype="datetime64[us]").view(np.int64)
        extra["tmin"] = np.where(sums[0] > 0, time, NO_TIME)
        extra["tmax"] = np.where(sums[0] > 0, time, -NO_TIME)
    keys, cell_period, *totals = _reduce_cells(keys, periods, *sums, earliest=first, extra=extra)
    extra = totals.pop()
    segments = totals.pop() if first is not None else (None, None)
    return Cells(keys, cell_period, totals[0], totals[1] if len(totals) > 1 else None, names,
                 *segments, extra)  # fmt: skip


def merge_parts(parts: list[Part]) -> Part:
    """The exact merge of one partition's cells from any batches: one cell per (key, period),
    sorted by key, then period. The parts are keyed alike (all by short-id keys, or all by
    hashes, see ``Cells.hashed``); where keys are hashes, ``names`` holds the distinct keys'
    ids (two ids with one hash are an error, never one customer)."""
    hashed = parts[0].names is not None
    columns = ["keys", "period", "orders"] + ["revenue"] * (parts[0].revenue is not None)
    first = None
    if parts[0].first is not None:
        first = (np.concatenate([p.first for p in parts]),
                 pa.concat_arrays([p.segment for p in parts]))  # fmt: skip
    extra = {name: np.concatenate([p.extra[name] for p in parts]) for name in parts[0].extra}
    keys, period, orders, *rest = _reduce_cells(
        *(np.concatenate([getattr(p, c) for p in parts]) for c in columns), earliest=first,
        extra=extra,
    )  # fmt: skip
    extra = rest.pop()
    segments = rest.pop() if first is not None else (None, None)
    merged = Part(keys, period, orders, rest[0] if rest else None, None, *segments, extra)
    if hashed:
        distinct = keys[_starts(keys)]
        merged.names = (distinct, _names(parts, distinct))
    return merged


def merge_cells(cells: list[Cells], run=map) -> pd.DataFrame:
    """The activity table of the union of the batches of ``cells`` (exact, any grouping),
    partition by partition (``run`` maps over partitions, for example on a thread pool).
    Customers never span partitions, so the partitions put side by side are the whole table.
    ``cells`` is emptied once merged, so that its memory goes before the table is assembled."""
    if any(c.names is not None for c in cells):
        cells[:] = [c.hashed() for c in cells]
    merged = list(run(lambda r: merge_parts([c.part(*r) for c in cells]), key_ranges()))
    cells.clear()
    return activity_table(merged)


def activity_table(parts: list[Part]) -> pd.DataFrame:
    """The activity table of merged partitions (``merge_parts``), put side by side: customers
    categorical over their keys, or their ids where keys are hashes."""
    codes, categories, offset = [], [], 0
    for part in parts:
        new = _runs(part.keys) if len(part.keys) else np.zeros(0, bool)
        codes.append(np.cumsum(new) - 1 + offset)
        categories.append(part.names[1] if part.names else part.keys[new])
        offset += int(new.sum())
    if any(p.names for p in parts):  # ids, as Arrow strings: never one Python object per customer
        ids = pa.chunked_array(categories, pa.string())
        index = pd.Index(pd.arrays.ArrowStringArray(ids))
    else:
        index = pd.Index(np.concatenate(categories) if categories else np.array([], np.int64))
    columns = {
        "customer": _categorical(np.concatenate(codes), index),
        "period": np.concatenate([p.period for p in parts]),
        "orders": np.concatenate([p.orders for p in parts]),
    }
    if parts[0].revenue is not None:
        columns["revenue"] = np.concatenate([p.revenue for p in parts])
    for name in parts[0].extra:  # per-cell start periods, first and last active times
        columns[name] = np.concatenate([p.extra[name] for p in parts])
    if parts[0].segment is not None:  # each cell's earliest active time and its segment
        columns["first"] = np.concatenate([p.first for p in parts])
        segments = pa.chunked_array([p.segment for p in parts], pa.string())
        columns["segment"] = pd.arrays.ArrowStringArray(segments)
    return pd.DataFrame(columns, copy=False)  # no copy into one block: the arrays are new


def _starts(keys: np.ndarray) -> np.ndarray:
    """Where each run of equal keys starts."""
    return np.flatnonzero(_runs(keys)) if len(keys) else np.flatnonzero(keys)


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


def _names(parts: list[Part], keys: np.ndarray) -> pa.Array:
    """The ids of the distinct ``keys`` (hashes) of a partition, from its parts' names; two
    different ids with one hash are an error, never one customer."""
    hashes = np.concatenate([p.names[0] for p in parts])
    ids = pa.concat_arrays([p.names[1] for p in parts])
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


def _reduce_cells(
    keys: np.ndarray, period: np.ndarray, *sums: np.ndarray, earliest=None, extra=None
) -> list:
    """Exact sums per (key, period) cell, the cells sorted by key, then period: each cell's key
    and period, then each sum; with ``earliest`` (per row: a time, NO_TIME for rows that are no
    activity, and a segment), then the cells' earliest times and their segments
    (``_first_segments``); with ``extra`` (named columns per row), then a dict of them reduced
    per cell as ``EXTRA`` says (a minimum or a maximum). One sort
    of the keys ranks each row's customer; one sort of packed (rank, period, row) values finds
    the cells and the rows of each, in place."""
    n = len(keys)
    if n == 0:
        out = [keys, period, *(s[:0] for s in sums)]
        if earliest is not None:
            out.append((earliest[0][:0], earliest[1][:0]))
        if extra is not None:
            out.append({name: values[:0] for name, values in extra.items()})
        return out
    order = np.argsort(keys)
    rank = np.cumsum(_runs(keys[order])) - 1
    first, span = int(period.min()), int(period.max() - period.min()) + 1
    cell = rank * span
    cell += period[order] - first
    row_bits = max(n - 1, 1).bit_length()
    if (int(rank[-1] + 1) * span).bit_length() + row_bits <= 63:  # sort (cell, row) pairs
        cell <<= row_bits
        cell |= np.arange(n)
        sort_in_place(cell)
        within = cell & ((1 << row_bits) - 1)
        cell >>= row_bits
    else:
        within = np.argsort(cell, kind="stable")
        cell = cell[within]
    rows = order[within]
    starts = np.flatnonzero(_runs(cell))
    first_rows = rows[starts]
    out = [
        keys[first_rows], period[first_rows],
        *(np.add.reduceat(s[rows], starts) for s in sums),
    ]  # fmt: skip
    if earliest is not None:
        out.append(_first_segments(rows, starts, *earliest))
    if extra is not None:
        out.append({name: EXTRA[name].reduceat(v[rows], starts) for name, v in extra.items()})
    return out


EXTRA = {"start": np.minimum, "tmin": np.minimum, "tmax": np.maximum, "listed": np.maximum,
         "gross": np.add}  # fmt: skip


NO_TIME = np.iinfo(np.int64).max  # the earliest active time of a cell without activity


def _first_segments(rows: np.ndarray, starts: np.ndarray, time: np.ndarray, segment: pa.Array):
    """Per cell (rows in cell order, each cell starting at ``starts``): the earliest ``time``
    and the segment of the row that has it (on a tie, the smallest by text, so that row order
    never matters); NO_TIME and null for a cell whose times are all NO_TIME."""
    times = time[rows]
    earliest = np.minimum.reduceat(times, starts)
    cell = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(rows))))
    encoded = pc.dictionary_encode(pc.fill_null(segment, ""))
    ordered = pc.array_sort_indices(encoded.dictionary).to_numpy()
    rank = np.empty(len(ordered), np.int64)
    rank[ordered] = np.arange(len(ordered))
    code = rank[encoded.indices.to_numpy()][rows]
    best = np.minimum.reduceat(np.where(times == earliest[cell], code, len(ordered)), starts)
    none = earliest == NO_TIME
    names = encoded.dictionary.take(pa.array(ordered))
    return earliest, names.take(pa.array(np.where(none, 0, best), mask=none))


def _runs(values: np.ndarray) -> np.ndarray:
    """True where a run of equal (sorted) values starts."""
    new = np.empty(len(values), dtype=bool)
    new[0] = True
    np.not_equal(values[1:], values[:-1], out=new[1:])
    return new
