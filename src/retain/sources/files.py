"""Read transaction files into raw frames: CSV-like text (plain or compressed), Parquet, stdin.

Each input is opened once: a regular file is memory-mapped, anything else (compressed files,
stdin, pipes, ``<(...)``) is read into memory as it streams, so nothing ever seeks on a pipe.
Text that is not UTF-8 is decoded once and handed on as UTF-8, so pyarrow, the unclosed-quote
check and the line numbers of messages all see the same bytes.

This module knows about bytes, encodings, delimiters and file formats, nothing about what the
columns mean: ``pick`` (from the pipeline) chooses which of the header's columns to load.
"""

from __future__ import annotations

import bz2
import codecs
import csv
import functools
import glob
import gzip
import io
import lzma
import mmap
import os
import re
import shutil
import stat
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from retain.errors import InputError

DELIMITERS = (",", ";", "\t", "|")
WHITESPACE = "whitespace"  # runs of spaces and tabs, as in aligned text files such as CDNOW's
SNIFF_BYTES = 1 << 16
MAX_HEADER_BYTES = 1 << 24
PARQUET_MAGIC = b"PAR1"
# First fields of the summary rows spreadsheets append (Total, 合计, ...); compared lower-cased.
SUMMARY_WORDS = {"total", "totals", "sum", "grand total", "subtotal", "合计", "总计", "合計"}
# Given the header, the columns to load, each with the Arrow type to try (None: text).
Pick = Callable[[list[str]], dict[str, pa.DataType | None]]
Lines = Callable[[np.ndarray], list[int]]


@dataclass
class RawTable:
    """One input file, read: its display name, the loaded columns, every header name, how the
    text was read, and the rows it did not hand on (with examples).

    ``frame``'s index is each row's position among the file's records, so that ``lines`` turns
    positions into physical line numbers (counting the header, blank lines and every line of a
    multi-line record)."""

    name: str
    frame: pd.DataFrame
    header: list[str]
    kind: str = "csv"
    delimiter: str | None = None
    encoding: str | None = None
    malformed: int = 0
    malformed_examples: list[str] = field(default_factory=list)
    summary_rows: int = 0
    typed: bool = False  # some columns were parsed by the reader, not kept as text
    lines: Lines = lambda positions: [int(p) + 2 for p in positions]  # noqa: E731


URL = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]+://")


def remote_fs(path: str):
    """The fsspec filesystem of a URL such as ``s3://bucket/orders.csv`` (None for a local
    path), with a clear error when fsspec or the scheme's package is missing."""
    if not URL.match(path):
        return None
    try:
        import fsspec

        return fsspec.core.url_to_fs(path)[0]
    except ImportError as exc:
        raise InputError(
            f"{path}: reading URLs needs fsspec and the package of its scheme "
            f"(pip install 'retain[dask]' s3fs, gcsfs or adlfs): {exc}"
        ) from None
    except ValueError as exc:  # an unknown scheme
        raise InputError(
            f"{path}: {exc}; URLs are read through fsspec (s3://, gs://, abfs://, https://, ...)"
        ) from None


def expand_paths(paths: list[str]) -> list[str]:
    """Paths as given, with quoted globs (``'exports/*.csv'``, ``s3://bucket/*.csv``) expanded
    in sorted order."""
    expanded = []
    for path in paths:
        fs = remote_fs(path) if path != "-" else None
        if fs is not None and glob.has_magic(path):
            matches = sorted(fs.glob(path))
            if not matches:
                raise InputError(f"{path}: no file matches this pattern")
            expanded.extend(fs.unstrip_protocol(m) for m in matches)
        elif path != "-" and not os.path.exists(path) and glob.has_magic(path):
            matches = sorted(glob.glob(path))
            if not matches:
                raise InputError(f"{path}: no file matches this pattern")
            expanded.extend(matches)
        else:
            expanded.append(path)
    return expanded


_COMPRESSED = {".gz": "gzip", ".bz2": "bzip2", ".xz": "xz"}


def _zip_member(path: str) -> bytes:
    with zipfile.ZipFile(path) as archive:
        members = [m for m in archive.namelist() if not m.endswith("/")]
        if len(members) != 1:
            raise InputError(
                f"{path}: a zip file must hold exactly one table, it holds {len(members)}; "
                "unzip it and name the files"
            )
        return archive.read(members[0])


def load_bytes(path: str) -> bytes | mmap.mmap:
    """The bytes of ``path`` (``-``: stdin), decompressed, read once: a regular file is mapped
    into memory, a pipe or stdin is read to its end. gzip, bzip2 and xz are recognised by
    their first bytes as well as by their extension (``gzip -c f.csv | retain cohort -``)."""
    name = "<stdin>" if path == "-" else path
    suffix = os.path.splitext(path)[1].lower()
    kind = "zip" if suffix == ".zip" else _COMPRESSED.get(suffix)
    try:
        data = sys.stdin.buffer.read() if path == "-" else _raw_bytes(path, suffix)
        found = [k for k, magic in _MAGIC.items() if bytes(data[: len(magic)]) == magic]
        kind = found[0] if found else kind
        return _DECOMPRESS[kind](data) if kind in _DECOMPRESS else data
    except (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError, zipfile.BadZipFile) as exc:
        if isinstance(exc, FileNotFoundError | PermissionError | IsADirectoryError) or not kind:
            raise
        detail = str(exc) or type(exc).__name__
        raise InputError(
            f"{name}: is not a complete {kind} file (truncated or corrupt: {detail}); "
            "copy or export it again"
        ) from None


_MAGIC = {"gzip": b"\x1f\x8b", "bzip2": b"BZh", "xz": b"\xfd7zXZ\x00"}
_DECOMPRESS = {"gzip": gzip.decompress, "bzip2": bz2.decompress, "xz": lzma.decompress}


def _raw_bytes(path: str, suffix: str):
    fs = remote_fs(path)
    if fs is not None:  # copied once to a temporary file and mapped, never held in memory
        try:
            with tempfile.TemporaryFile(prefix="retain-url-") as copy, fs.open(path) as remote:
                shutil.copyfileobj(remote, copy, 1 << 22)
                if not copy.tell():
                    return b""
                copy.flush()
                return mmap.mmap(copy.fileno(), 0, access=mmap.ACCESS_READ)
        except FileNotFoundError:
            raise InputError(f"{path}: no such file") from None
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"{path}: is a folder; name the files in it (a glob such as {path}/*.csv)")
    if suffix == ".zip":
        return _zip_member(path)
    with open(path, "rb") as handle:
        if stat.S_ISREG(info.st_mode) and info.st_size:
            return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        return handle.read()  # a pipe, a FIFO, /dev/stdin, <(...): read once, never seek


SCAN_BYTES = 1 << 24


def _spans(data, size: int = SCAN_BYTES):
    """(start, end) of consecutive spans of ``data``, each cut before a UTF-8 lead byte. Once
    a span is looked at, the pages of a memory-mapped file are handed back to the kernel, so
    that a scan of a large file does not hold all of it in memory."""
    start = 0
    while start < len(data):
        end = min(start + size, len(data))
        while end < len(data) and data[end] & 0xC0 == 0x80:  # not inside a character
            end += 1
        yield start, end
        if isinstance(data, mmap.mmap):
            _release(data, Batch(start, end, None, end == len(data)))
        start = end


def _count(data, byte: bytes) -> int:
    return sum(bytes(data[a:b]).count(byte) for a, b in _spans(data))


def _not_a_table(name: str, head: bytes) -> str | None:
    """Why bytes that begin with ``head`` are no delimited text, if they are not."""
    if head.startswith(b"PK\x03\x04"):
        return f"{name}: is an Excel workbook or zip archive, not text; save it as CSV"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return f"{name}: is an old Excel (.xls) workbook, not text; save it as CSV"
    if b"\x00" in head:
        return (
            f"{name}: holds binary data (NUL bytes), not delimited text; export it as CSV, "
            "or pass --encoding utf-16 if it is UTF-16 text"
        )
    return None


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def fallback_encoding(name: str, data) -> str:
    """The encoding of text that is not UTF-8: GB18030 when it decodes cleanly and yields
    Chinese text (most of its CJK characters in the common GB2312 set, which tells real Chinese
    from Western bytes that happen to pair up), else cp1252."""
    raw = bytes(data)
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        text = ""
    cjk = [ch for ch in text if _is_cjk(ch)][:10_000]
    if len(cjk) >= 2:
        common = sum(_encodes(ch, "gb2312") for ch in cjk)
        if common >= 0.9 * len(cjk):
            return "gb18030"
    try:
        raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"{name}: line {line} (byte {exc.start}) is neither UTF-8, GB18030 nor cp1252 text; "
            "pass --encoding with the file's encoding"
        ) from None
    return "cp1252"


def _encodes(ch: str, encoding: str) -> bool:
    try:
        ch.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def _to_utf8(name: str, data, encoding: str) -> bytes:
    try:
        return bytes(data).decode(encoding).encode("utf-8")
    except UnicodeDecodeError as exc:
        line = bytes(data).count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"{name}: line {line} (byte {exc.start}) is not valid {encoding} text; "
            "pass --encoding with the file's encoding"
        ) from None
    except LookupError:
        raise InputError(f"unknown encoding {encoding!r}; pass a Python codec name") from None


def _is_utf8(data) -> bool:
    """Whether all of ``data`` is UTF-8 (Arrow's validation: about 45 ms for 259 MB)."""
    view = memoryview(data)
    try:
        return all(_utf8_span(view[a:b]) for a, b in _spans(data))
    finally:
        view.release()


def _utf8_span(view: memoryview) -> bool:
    offsets = pa.py_buffer(np.array([0, len(view)], dtype=np.int64))
    text = pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(view)])
    try:
        text.cast(pa.large_string())
    except pa.ArrowInvalid:
        return False
    return True


def _utf8_head(data) -> str | None:
    """The first lines of UTF-8 ``data`` as text (at least the header and a few rows, whole
    lines only), or None when they are not UTF-8."""
    size = SNIFF_BYTES
    while True:
        sample = bytes(data[:size])
        whole = len(sample) == len(data)
        try:
            text = codecs.getincrementaldecoder("utf-8-sig")().decode(sample, final=whole)
        except UnicodeDecodeError:
            return None
        if whole:
            return text
        cut = text.rfind("\n")
        if (cut >= 0 and text.count("\n") >= 2) or size >= MAX_HEADER_BYTES:
            return text[: cut + 1] if cut >= 0 else text
        size *= 4


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines of ``text`` into the most, consistent, fields;
    runs of white space when no character does and they split every line alike."""
    lines = [line for line in text.splitlines()[:20] if line.strip()] or [""]
    best, best_score = ",", (False, 0)
    for delim in DELIMITERS:
        try:
            rows = list(csv.reader(io.StringIO("\n".join(lines), newline=""), delimiter=delim))
        except csv.Error:
            continue
        width = len(rows[0]) if rows else 0
        consistent = all(len(r) == width for r in rows[1:-1] if r)
        score = (consistent and width > 1, width)
        if score > best_score:
            best, best_score = delim, score
    if best_score[1] <= 1:
        widths = {len(line.split()) for line in lines[: max(len(lines) - 1, 1)]}
        if len(widths) == 1 and widths.pop() > 1:
            return WHITESPACE
    return best


def _collapse_whitespace(data) -> bytes:
    """Whitespace-aligned text as tab-separated text, line for line."""
    text = re.sub(rb"(?m)^[ \t]+|[ \t]+(?=\r?$)", b"", bytes(data))
    return re.sub(rb"[ \t]+", b"\t", text)


def _looks_like_data(fields: list[str]) -> bool:
    """A header row has names; a first line of only numbers and dates is data."""
    return bool(fields) and all(re.fullmatch(r"[\d\s.,:/+\-]*", f) for f in fields)


@dataclass
class Source:
    """One input, opened once: its text as UTF-8 bytes (a memory map or bytes), its header,
    and how it is split. ``body`` is the byte offset of the first record after the header and
    ``body_line`` its physical line number. Parquet sources keep their bytes as they are."""

    name: str
    data: object
    header: list[str]
    kind: str = "csv"
    delim: str = ","  # the character the parser splits on
    delimiter: str = ","  # as reported: "whitespace" for aligned text
    encoding: str = "utf-8"
    has_header: bool = True
    body: int = 0
    body_line: int = 1
    quoted: bool = True  # the text has quote characters: cut batches outside quotes
    remote: bool = False  # ``data`` is the bytes of a URL as they are: workers read ranges
    units: list = field(default_factory=list)  # Parquet: (row group reader, rows) in order

    def __getstate__(self) -> dict:
        """For a worker of a cluster: a mapped file travels as its path and is mapped again
        there; Parquet row groups are opened again (bytes read from a pipe travel as they are)."""
        state = dict(self.__dict__)
        state["mapped"] = isinstance(self.data, mmap.mmap)
        if state["mapped"] or self.remote:  # a URL's batches are read from it by range
            state["data"] = None
        if self.kind == "parquet":
            state["units"] = []
        return state

    def __setstate__(self, state: dict) -> None:
        mapped = state.pop("mapped", False)
        self.__dict__.update(state)
        if mapped and not self.remote:  # a URL's batches are read by range (_span_bytes)
            self.data = load_bytes(self.name)
        if self.kind == "parquet":
            again = _parquet_dataset(self.name) if self.data is None else None
            self.units = (again or _parquet_source(self.name, self.data)).units


@dataclass(frozen=True)
class Batch:
    """A byte range of a source's records, cut at a line end outside quotes, and the physical
    line its first byte is on. ``last``: the range runs to the end of the file."""

    start: int
    end: int
    line: int | None  # None: counted when a message needs it
    last: bool


def open_source(
    path: str,
    encoding: str | None = None,
    delimiter: str | None = None,
    names: list[str] | None = None,
) -> Source:
    """Open one input (``-``: stdin) once and decide how its text is read: encoding, delimiter,
    header (``names`` for a file without one). A quoted field that never closes would swallow
    the rest of the file: it raises ``InputError`` naming its line."""
    name = "<stdin>" if path == "-" else path
    fs = remote_fs(path) if path != "-" else None
    if path != "-" and (fs.isdir(path) if fs is not None else os.path.isdir(path)):
        return _parquet_dataset(path)
    data = load_bytes(path)
    fetched = data
    if bytes(data[: len(PARQUET_MAGIC)]) == PARQUET_MAGIC:
        return _parquet_source(name, data)
    if not bytes(data[:MAX_HEADER_BYTES]).strip():
        raise InputError(f"{name}: the file is empty; export the transactions with a header row")
    head = bytes(data[:SNIFF_BYTES])
    if encoding is None and head.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"  # a UTF-16 byte order mark
    if encoding is None:
        problem = _not_a_table(name, head)
        if problem:
            raise InputError(problem)
    text = _utf8_head(data) if encoding is None else None
    if encoding is None and (text is None or not _is_utf8(data)):  # decided on the whole file
        encoding = fallback_encoding(name, data)
    if encoding is not None and _normal(encoding) != "utf-8":
        data = _to_utf8(name, data, encoding)
        text = _utf8_head(data)
    encoding = _normal(encoding or "utf-8")
    delim = kind = delimiter or sniff_delimiter(text or "")
    if delim == WHITESPACE:
        data, delim = _collapse_whitespace(data), "\t"
        text = _utf8_head(data) or ""
    header, header_lines = _header(name, text or "", delim, names, kind == WHITESPACE)
    quotes = _check_quotes(name, data, delim)
    body = 0 if names is not None else _line_offset(data, header_lines)
    if not bytes(data[body : body + MAX_HEADER_BYTES]).strip():
        raise InputError(f"{name}: has a header but no data rows")
    source = Source(name, data, header, "csv", delim, kind, encoding, names is None, body)
    source.body_line = header_lines + 1 if names is None else 1
    source.quoted = quotes > 0
    source.remote = fs is not None and data is fetched  # neither decompressed nor transcoded
    return source


def _line_offset(data, lines: int) -> int:
    """The byte offset just after the first ``lines`` lines."""
    offset = 0
    for _ in range(lines):
        found = data.find(b"\n", offset)
        if found < 0:
            return len(data)
        offset = found + 1
    return offset


def batches(source: Source, rows: int | None = None, keep_from: int | None = None) -> list[Batch]:
    """Cut a source's records into byte ranges of about ``rows`` records each (one range when
    None), at line ends outside quotes (an even number of quote characters before the cut).
    Nothing at or after ``keep_from`` (a trailing summary block) is cut from the last range."""
    if source.kind == "parquet":  # whole row groups, about ``rows`` rows a batch
        return _row_group_batches(source, rows)
    data, end = source.data, len(source.data)
    if source.kind != "csv" or not rows:
        return [Batch(source.body, end, source.body_line, True)]
    sample = bytes(data[source.body : source.body + SNIFF_BYTES])
    per_row = max(len(sample) / max(sample.count(b"\n"), 1), 1.0)
    target = max(int(rows * per_row), 1)
    stop = end if keep_from is None else keep_from
    cuts, start, line = [], source.body, source.body_line  # later batches: lines when asked
    while True:
        at = min(start + target, stop)
        cut = _cut(data, start, at, stop, source.quoted) if start + 1 < stop else stop
        if cut >= stop:
            cuts.append(Batch(start, end, None if cuts else line, True))
            return cuts
        cuts.append(Batch(start, cut, None, False))
        start = cut


def _cut(data, start: int, at: int, stop: int, quoted: bool = True) -> int:
    """The first line start at or after ``at`` (just after a newline) with an even number of
    quotes since ``start``."""
    at = max(at - 1, start)  # a newline just before ``at`` ends a line there
    if not quoted:
        found = data.find(b"\n", at, stop)
        return stop if found < 0 else found + 1
    quotes = _count(data[start:at], b'"')
    while at < stop:
        found = data.find(b"\n", at, stop)
        if found < 0:
            return stop
        quotes += _count(data[at : found + 1], b'"')
        at = found + 1
        if quotes % 2 == 0:
            return at
    return stop


def summary_block(source: Source, date: str | None) -> tuple[int | None, int]:
    """Where the summary rows that spreadsheets append begin (byte offset) and how many there
    are: the last records whose first field is ``Total`` (or another of ``SUMMARY_WORDS``),
    with nothing in the ``date`` column and as many fields as the header."""
    if source.kind != "csv":
        return None, 0
    data, width = source.data, len(source.header)
    index = source.header.index(date) if date in source.header else None
    tail_start = max(len(data) - SNIFF_BYTES, source.body)
    tail = bytes(data[tail_start:])
    offsets, offset = [], tail_start
    for line in tail.splitlines(keepends=True):
        offsets.append((offset, line))
        offset += len(line)
    count, first = 0, None
    for offset, line in reversed(offsets[-12:]):
        fields = next(csv.reader([line.decode("utf-8", "replace")], delimiter=source.delim), [])
        if not any(f.strip() for f in fields):
            continue  # a blank line or an empty row (,,,) after the summary
        if len(fields) != width or fields[0].strip().lower() not in SUMMARY_WORDS:
            break
        if index is not None and fields[index].strip():
            break
        count, first = count + 1, offset
    return first, count


def read_batch(
    source: Source,
    batch: Batch,
    wanted: dict,
    *,
    typed: bool = True,
    threads: bool = True,
    summary: int = 0,
) -> RawTable:
    """Parse one batch of a source: the ``wanted`` columns (typed where every value of the
    batch converts, else all as text), blank and all-empty rows dropped, the last batch's
    ``summary`` rows counted apart. The frame's index is each row's position in the batch;
    ``lines`` turns positions into physical line numbers of the file."""
    if source.kind == "parquet":
        return _read_parquet(source, batch, wanted)
    data = _span_bytes(source, batch.start, batch.end)
    frame, malformed, summary_words, typed = _parse(
        source.name, data, source.delim, source.header, wanted, typed, threads
    )
    if isinstance(source.data, mmap.mmap) and hasattr(mmap, "MADV_DONTNEED"):
        _release(source.data, batch)
    width = len(source.header)
    line = batch.line if batch.line is not None else functools.partial(_line_at, source, batch)
    records = _Records(data, source.delim, width, line, len(frame), bool(malformed))
    frame = _drop_empty_rows(frame, records)
    summary = min(summary, len(frame)) if batch.last else 0
    if summary:
        frame = frame.iloc[: len(frame) - summary]
    return RawTable(
        source.name, frame, source.header, "csv", source.delimiter, source.encoding,
        len(malformed), [repr(t) for t in malformed[:5]], summary + summary_words, typed,
        records.lines,
    )  # fmt: skip


def _line_at(source: Source, batch: Batch) -> int:
    """The physical line a batch starts on: the newlines before it, counted when asked."""
    return source.body_line + _count(_span_bytes(source, source.body, batch.start), b"\n")


def _span_bytes(source: Source, start: int, end: int):
    """Bytes ``start:end`` of a source's text: a view of its data, or, on a worker of a
    cluster, a range read from its URL."""
    if source.data is None and source.remote:
        return memoryview(remote_fs(source.name).cat_file(source.name, start, end))
    return memoryview(source.data)[start:end]


def _release(data: mmap.mmap, batch: Batch) -> None:
    """Let the kernel take back the parsed pages of a memory-mapped file: they stay in the page
    cache, and a later look (a message's line number) maps them again."""
    page = mmap.PAGESIZE
    start = -(-batch.start // page) * page
    end = batch.end // page * page if not batch.last else len(data)
    if end > start:
        data.madvise(mmap.MADV_DONTNEED, start, end - start)


def read_table(
    path: str,
    *,
    pick: Pick,
    encoding: str | None = None,
    delimiter: str | None = None,
    names: list[str] | None = None,
    date_column: Callable[[list[str]], str | None] = lambda header: None,
    every_column: bool = False,
) -> RawTable:
    """Read one whole file (``-`` for stdin): the columns ``pick`` chooses from its header
    (``every_column``: all, as text, named as the header names them, ``name#3`` where a name
    repeats or is empty). See ``open_source`` and ``read_batch``."""
    source = open_source(path, encoding, delimiter, names)
    wanted = wanted_columns(source, pick(source.header), every_column)
    _, count = summary_block(source, date_column(source.header))
    return read_batch(source, batches(source)[0], wanted, summary=count)


def wanted_columns(source: Source, wanted: dict, every_column: bool = False) -> dict:
    """The columns to load: ``wanted`` (checked to be named once), or every column."""
    header = source.header
    twice = sorted({c for c in wanted if header.count(c) > 1})
    if twice:
        raise InputError(f"{source.name}: the header names {twice[0]!r} twice; rename one of them")
    if every_column:
        return {_label(header, i): None for i in range(len(header))}
    return wanted


def _label(header: list[str], i: int) -> str:
    """A column's name, made unique where the header repeats it or leaves it empty."""
    name = header[i]
    return name if name and header.count(name) == 1 else f"{name}#{i + 1}"


def _normal(encoding: str) -> str:
    try:
        normal = codecs.lookup(encoding).name
    except LookupError:
        raise InputError(f"unknown encoding {encoding!r}; pass a Python codec name") from None
    return "utf-8" if normal == "utf-8-sig" else normal


def _header(
    name: str, text: str, delim: str, names: list[str] | None, whitespace: bool = False
) -> tuple[list[str], int]:
    """The header's names, and how many physical lines the header row takes."""
    lines = io.StringIO(text.lstrip("\ufeff"), newline="")
    reader = csv.reader(lines, delimiter=delim)
    try:
        first = next(reader, [])
    except csv.Error as exc:
        raise InputError(f"{name}: cannot read the header row: {exc}") from None
    shown = (" " if delim == "\t" and whitespace else delim).join(first)
    if names is not None:
        if len(names) != len(first):
            raise InputError(
                f"{name}: --names gives {len(names)} names, the first line has {len(first)} "
                f"fields ({'whitespace' if whitespace else repr(delim)}-delimited)"
            )
        if all(re.search(r"[^\W\d_]", f) for f in first):
            raise InputError(
                f"{name}: the first line {shown!r} looks like a header, not data; drop --names "
                "(the file names its own columns)"
            )
        return list(names), 0
    if len(first) <= 1 and any(d in text for d in ",;\t| ") and "\n" in text.strip():
        raise InputError(
            f"{name}: the header {first[0] if first else ''!r} is one column when split on "
            f"{delim!r}: the delimiter looks wrong; pass --delimiter (, ; tab | whitespace)"
        )
    if _looks_like_data(first):
        raise InputError(
            f"{name}: the first line {shown!r} looks like data, not a header; "
            "pass --names with a name for each column (for example --names customer,date,amount)"
        )
    return first, max(reader.line_num, 1)


def _parse(name, data, delim, header, wanted, typed, threads):
    """The wanted columns of records without a header, typed where every value converts (else
    all as text); the malformed rows' text; how many malformed rows were summary rows; whether
    typed."""
    positions = {_label(header, i): str(i) for i in range(len(header))}
    typed = typed and any(wanted.values())
    while True:
        malformed: list[str] = []
        summary = [0]

        def skip(row, malformed=malformed, summary=summary) -> str:
            fields = next(csv.reader([row.text], delimiter=delim), [""])
            if fields and fields[0].strip().lower() in SUMMARY_WORDS:
                summary[0] += 1
            elif row.text.strip(delim + " \t\r\n"):
                malformed.append(row.text)
            return "skip"

        read = pacsv.ReadOptions(
            block_size=1 << 24, column_names=[str(i) for i in range(len(header))],
            use_threads=threads,
        )  # fmt: skip
        parse = pacsv.ParseOptions(
            delimiter=delim, newlines_in_values=True, invalid_row_handler=skip
        )
        types = {positions[c]: (t if typed and t else pa.string()) for c, t in wanted.items()}
        convert = pacsv.ConvertOptions(
            column_types=types,
            include_columns=list(types),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        )
        try:
            table = pacsv.read_csv(
                pa.BufferReader(pa.py_buffer(data)),
                read_options=read, parse_options=parse, convert_options=convert,
            )  # fmt: skip
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            message = str(exc).splitlines()[0]
            if message == "Empty CSV file":  # a batch of blank lines
                return pd.DataFrame({c: pd.Series(dtype="str") for c in wanted}), [], 0, False
            if typed and "conversion error" in message.lower() and "utf8" not in message.lower():
                typed = False
                continue
            raise InputError(
                f"{name}: cannot read as {delim!r}-delimited text: {message}"
            ) from None
        if typed and any(table.column(positions[c]).null_count for c, t in wanted.items() if t):
            typed = False
            continue
        frame = table.to_pandas(split_blocks=True, self_destruct=True)
        frame.columns = list(wanted)
        return frame, malformed, summary[0], typed


class _Records:
    """Physical line numbers of a batch's table positions, and the fields of chosen records,
    from the text itself (only when asked: messages and rare checks)."""

    def __init__(self, data, delim: str, width: int, line, rows: int, skipped: bool):
        self.data, self.delim, self.width = data, delim, width
        self.rows, self.skipped = rows, skipped
        self._line = line  # the first line's number, or a function that counts it
        self._simple: bool | None = None

    @property
    def line(self) -> int:
        if callable(self._line):
            self._line = self._line()
        return self._line

    def simple(self) -> bool:
        """Whether every record is one line and no line is blank: position p is on line
        ``line + p``."""
        if self._simple is None:
            newlines = _count(self.data, b"\n")
            ends = bytes(self.data[-1:]) == b"\n"
            lines = newlines + (0 if ends or not len(self.data) else 1)
            self._simple = not self.skipped and lines == self.rows
        return self._simple

    def scan(self, wanted: set[int]):
        """(position, physical line, fields) of the records at the ``wanted`` positions."""
        if not wanted:
            return
        last = max(wanted)
        lines = (line.decode("utf-8") for line in io.BytesIO(bytes(self.data)))
        reader = csv.reader(lines, delimiter=self.delim)
        position, start = -1, self.line
        for fields in reader:
            first_line, start = start, self.line + reader.line_num
            if not fields or len(fields) != self.width:
                continue  # blank lines and malformed rows are not in the table
            position += 1
            if position in wanted:
                yield position, first_line, fields
            if position >= last:
                return

    def lines(self, positions) -> list[int]:
        positions = [int(p) for p in positions]
        if self.simple():
            return [self.line + p for p in positions]
        found = {p: line for p, line, _ in self.scan(set(positions))}
        return [found.get(p, self.line + p) for p in positions]


def _drop_empty_rows(frame: pd.DataFrame, records: _Records) -> pd.DataFrame:
    """Drop rows whose every field is empty (spreadsheets write them as ``,,,``); the loaded
    columns being empty makes a row a candidate, its text decides."""
    typed = [c for c in frame.columns if not pd.api.types.is_string_dtype(frame[c].dtype)]
    if any(not frame[c].hasnans for c in typed):
        return frame  # a column the reader typed has a value in every row
    empty = np.ones(len(frame), dtype=bool)
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_string_dtype(values.dtype):
            empty &= (values.fillna("") == "").to_numpy()
        else:
            empty &= values.isna().to_numpy()
    if not empty.any():
        return frame
    candidates = set(np.flatnonzero(empty).tolist())
    blank = [p for p, _, fields in records.scan(candidates) if not any(f.strip() for f in fields)]
    return frame.drop(index=frame.index[blank]) if blank else frame


def _check_quotes(name: str, data, delim: str) -> int:
    """Refuse a quoted field that never closes: it would swallow every line after it. An odd
    number of quote characters is the sign; the record that runs to the end tells. Returns the
    number of quote characters."""
    if not any(data.find(b'"', a, b) >= 0 for a, b in _spans(data)):  # memchr speed
        return 0
    quotes = _count(data, b'"')
    if quotes % 2 == 0:
        return quotes
    text = bytes(data).decode("utf-8", errors="replace")
    start = _last_record_start(text, delim)
    rest = text.splitlines(keepends=True)[start - 1 :]
    try:
        list(csv.reader(io.StringIO("".join(rest), newline=""), delimiter=delim, strict=True))
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            total = text.count("\n") + (not text.endswith("\n"))
            swallowed = f"lines {start} to {total}" if total > start else f"line {start}"
            raise InputError(
                f"{name}: line {start} opens a quoted field that never closes, so {swallowed} "
                "would read as one value; fix the quoting (a quote inside a quoted field is "
                'written twice: "")'
            ) from None
    return quotes


def _last_record_start(text: str, delim: str) -> int:
    """The physical line on which the last record of ``text`` starts."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    start = next_start = 1
    for _ in reader:
        start, next_start = next_start, reader.line_num + 1
    return start


def _parquet_source(name: str, data) -> Source:
    """A Parquet file (read from memory), read in row groups of the needed columns only."""
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(pa.BufferReader(pa.py_buffer(data)))
    except pa.ArrowException as exc:
        raise InputError(f"{name}: cannot read as Parquet: {exc}") from None
    units = [
        (functools.partial(parquet.read_row_group, i), parquet.metadata.row_group(i).num_rows)
        for i in range(parquet.num_row_groups)
    ]
    header = parquet.schema_arrow.names
    return Source(name, data, header, "parquet", delimiter=None, encoding=None, units=units)


def _parquet_dataset(path: str) -> Source:
    """A folder of Parquet files (hive partitions ``key=value`` become columns), read in row
    groups of the needed columns, files in sorted order."""
    import pyarrow.dataset as ds

    try:
        fs = remote_fs(path)
        where = path if fs is None else fs._strip_protocol(path)
        dataset = ds.dataset(where, filesystem=fs, format="parquet", partitioning="hive")
        fragments = sorted(dataset.get_fragments(), key=lambda f: f.path)
        units = [
            (functools.partial(_read_fragment, group, dataset.schema), group.row_groups[0].num_rows)
            for fragment in fragments
            for group in fragment.split_by_row_group()
        ]
    except (pa.ArrowException, OSError) as exc:
        raise InputError(
            f"{path}: is a folder and not a Parquet dataset ({exc}); name the files in it (a "
            f"glob such as {path}/*.csv)"
        ) from None
    if not units:
        raise InputError(f"{path}: is a folder without Parquet files; name the files in it")
    return Source(path, None, dataset.schema.names, "parquet", delimiter=None, encoding=None,
                  units=units)  # fmt: skip


def _read_fragment(fragment, schema, columns: list[str]) -> pa.Table:
    return fragment.to_table(columns=columns, schema=schema)


def _row_group_batches(source: Source, rows: int | None) -> list[Batch]:
    """Batches of whole row groups (``start``/``end`` index the source's units)."""
    cuts, start, count = [], 0, 0
    for i, (_, unit_rows) in enumerate(source.units):
        count += unit_rows
        if rows and count >= rows and i + 1 < len(source.units):
            cuts.append(Batch(start, i + 1, None, False))
            start, count = i + 1, 0
    cuts.append(Batch(start, len(source.units), None, True))
    return cuts


def _read_parquet(source: Source, batch: Batch, wanted: dict) -> RawTable:
    try:
        tables = [read(columns=list(wanted)) for read, _ in source.units[batch.start : batch.end]]
        table = pa.concat_tables(tables) if tables else None
    except pa.ArrowException as exc:
        raise InputError(f"{source.name}: cannot read as Parquet: {exc}") from None
    if table is None:
        frame = pd.DataFrame({c: pd.Series(dtype="str") for c in wanted})
    else:
        frame = table.to_pandas()
    return RawTable(source.name, frame, source.header, "parquet")
