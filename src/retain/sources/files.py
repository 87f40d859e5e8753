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
import glob
import gzip
import io
import lzma
import mmap
import os
import re
import stat
import sys
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from retain.errors import InputError, counted

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
    as_text: Callable[[], RawTable] | None = None  # the same rows, every column as text


def expand_paths(paths: list[str]) -> list[str]:
    """Paths as given, with quoted globs (``'exports/*.csv'``) expanded in sorted order."""
    expanded = []
    for path in paths:
        if path != "-" and not os.path.exists(path) and glob.has_magic(path):
            matches = sorted(glob.glob(path))
            if not matches:
                raise InputError(f"{path}: no file matches this pattern")
            expanded.extend(matches)
        else:
            expanded.append(path)
    return expanded


_COMPRESSED = {".gz": ("gzip", gzip.decompress), ".bz2": ("bzip2", bz2.decompress),
               ".xz": ("xz", lzma.decompress)}  # fmt: skip


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
    into memory, a pipe or stdin is read to its end."""
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"{path}: is a folder; name the files in it (a glob such as {path}/*.csv)")
    suffix = os.path.splitext(path)[1].lower()
    try:
        if suffix == ".zip":
            return _zip_member(path)
        with open(path, "rb") as handle:
            if suffix in _COMPRESSED:
                return _COMPRESSED[suffix][1](handle.read())
            if stat.S_ISREG(info.st_mode) and info.st_size:
                return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
            return handle.read()  # a pipe, a FIFO, /dev/stdin, <(...): read once, never seek
    except (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError, zipfile.BadZipFile) as exc:
        if isinstance(exc, FileNotFoundError | PermissionError | IsADirectoryError):
            raise
        kind = _COMPRESSED.get(suffix, ("zip",))[0]
        detail = str(exc) or type(exc).__name__
        raise InputError(
            f"{path}: is not a complete {kind} file (truncated or corrupt: {detail}); "
            "copy or export it again"
        ) from None


def _chunks(data, size: int = 1 << 24):
    for start in range(0, len(data), size):
        yield data[start : start + size]


def _count(data, byte: bytes) -> int:
    return sum(chunk.count(byte) for chunk in _chunks(data))


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


def read_table(
    path: str,
    *,
    pick: Pick,
    encoding: str | None = None,
    delimiter: str | None = None,
    names: list[str] | None = None,
    on_bad_rows: str = "fail",
    date_column: Callable[[list[str]], str | None] = lambda header: None,
    every_column: bool = False,
) -> RawTable:
    """Read one file (``-`` for stdin) and load the columns ``pick`` chooses from its header.

    A column that ``pick`` gives a type is parsed by pyarrow's parallel reader as that type
    when every value converts; otherwise the text is parsed again (from memory) with every
    column as text, so that the caller sees every value as written. ``names`` names the columns
    of a file without a header row. Rows are handed on or counted:

    - blank lines and rows whose every field is empty are not data: dropped, not counted;
    - rows with more or fewer fields than the header are ``malformed`` (with
      ``on_bad_rows="fail"``, they raise ``InputError``);
    - summary rows that spreadsheets append (first field ``Total``, ``合计``, ...; no value in
      the column ``date_column`` names) are counted in ``summary_rows``.

    A quoted field that never closes would swallow the rest of the file: it raises
    ``InputError`` naming its line.
    """
    name = "<stdin>" if path == "-" else path
    data = load_bytes(path)
    if bytes(data[: len(PARQUET_MAGIC)]) == PARQUET_MAGIC:
        return _read_parquet(name, data, pick)
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
    if encoding is None and text is None:
        encoding = fallback_encoding(name, data)
    if encoding is not None and _normal(encoding) != "utf-8":
        data = _to_utf8(name, data, encoding)
        text = _utf8_head(data)
    encoding = _normal(encoding or "utf-8")
    delim = kind = delimiter or sniff_delimiter(text or "")
    if delim == WHITESPACE:
        data, delim = _collapse_whitespace(data), "\t"
        text = _utf8_head(data) or ""
    header = _header(name, text or "", delim, names)
    wanted = pick(header)
    twice = sorted({c for c in wanted if header.count(c) > 1})
    if twice:
        raise InputError(f"{name}: the header names {twice[0]!r} twice; rename one of them")
    if every_column:
        wanted = {_label(header, i): None for i in range(len(header))}
    _check_quotes(name, data, delim)
    read = Read(name, data, delim, kind, header, wanted, names is None, encoding, on_bad_rows)
    date = date_column(header)
    return read.table(typed=True, date=header.index(date) if date in header else None)


def _label(header: list[str], i: int) -> str:
    """A column's name, made unique where the header repeats it or leaves it empty."""
    name = header[i]
    return name if name and header.count(name) == 1 else f"{name}#{i + 1}"


@dataclass
class Read:
    """One input's text, read: parse it (typed, or all as text) into a ``RawTable``."""

    name: str
    data: object
    delim: str
    kind: str
    header: list[str]
    wanted: dict
    has_header: bool
    encoding: str
    on_bad_rows: str

    def table(self, typed: bool, date: int | None) -> RawTable:
        name, width = self.name, len(self.header)
        frame, malformed, summary_words, typed = self._parse(typed)
        if frame is None:  # pyarrow met text that is not UTF-8 past the sniffed lines
            self.encoding = fallback_encoding(name, self.data)
            self.data = _to_utf8(name, self.data, self.encoding)
            frame, malformed, summary_words, typed = self._parse(typed)
        if malformed and self.on_bad_rows == "fail":
            raise InputError(
                f"{name}: {counted(len(malformed), 'row')} without the header's {width} fields "
                f"({'; '.join(repr(t) for t in malformed[:5])}); check the delimiter "
                f"({self.kind!r}) and quoting, or pass --on-bad-rows skip to skip and count them"
            )
        records = _Records(
            self.data, self.delim, width, self.has_header, len(frame), bool(malformed)
        )
        frame = _drop_empty_rows(frame, records)
        summary = min(_trailing_summary(self.data, self.delim, width, date), len(frame))
        if summary:
            frame = frame.iloc[: len(frame) - summary]
        return RawTable(
            name, frame, self.header, "csv", self.kind, self.encoding, len(malformed),
            [f"{name}: {t!r}" for t in malformed[:5]], summary + summary_words, typed,
            records.lines, (lambda: self.table(False, date)) if typed else None,
        )  # fmt: skip

    def _parse(self, typed: bool):
        return _parse(
            self.name, self.data, self.delim, self.header, self.wanted, typed, not self.has_header
        )


def _normal(encoding: str) -> str:
    try:
        normal = codecs.lookup(encoding).name
    except LookupError:
        raise InputError(f"unknown encoding {encoding!r}; pass a Python codec name") from None
    return "utf-8" if normal == "utf-8-sig" else normal


def _header(name: str, text: str, delim: str, names: list[str] | None) -> list[str]:
    lines = io.StringIO(text.lstrip("\ufeff"), newline="")
    try:
        first = next(csv.reader(lines, delimiter=delim), [])
    except csv.Error as exc:
        raise InputError(f"{name}: cannot read the header row: {exc}") from None
    if names is not None:
        if len(names) != len(first):
            raise InputError(
                f"{name}: --names gives {len(names)} names, the first line has {len(first)} "
                f"fields ({delim!r}-delimited)"
            )
        return names
    if len(first) <= 1 and any(d in text for d in ",;\t| ") and "\n" in text.strip():
        raise InputError(
            f"{name}: the header {first[0] if first else ''!r} is one column when split on "
            f"{delim!r}: the delimiter looks wrong; pass --delimiter (, ; tab | whitespace)"
        )
    if _looks_like_data(first):
        raise InputError(
            f"{name}: the first line {delim.join(first)!r} looks like data, not a header; "
            "pass --names with a name for each column (for example --names customer,date,amount)"
        )
    return first


def _parse(name, data, delim, header, wanted, typed, headless):
    """The wanted columns, typed where every value converts (else all as text); the malformed
    rows' text; how many malformed rows were summary rows; whether typed. ``None`` for the
    frame when the text is not UTF-8."""
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
            skip_rows=0 if headless else 1,
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
            if typed and "conversion error" in message.lower() and "utf8" not in message.lower():
                typed = False
                continue
            if "UTF8" in message or isinstance(exc, UnicodeDecodeError):
                return None, [], 0, False
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
    """Physical line numbers of table positions, and the fields of chosen records, from the
    text itself (only when asked: messages and rare checks)."""

    def __init__(self, data, delim: str, width: int, has_header: bool, rows: int, skipped: bool):
        self.data, self.delim, self.width = data, delim, width
        self.has_header, self.rows, self.skipped = has_header, rows, skipped
        self._simple: bool | None = None

    def simple(self) -> bool:
        """Whether every record is one line and no line is blank: position p is line p+2."""
        if self._simple is None:
            newlines = _count(self.data, b"\n")
            ends = bytes(self.data[-1:]) == b"\n"
            lines = newlines + (0 if ends else 1)
            self._simple = not self.skipped and lines == self.rows + self.has_header
        return self._simple

    def scan(self, wanted: set[int]):
        """(position, physical line, fields) of the records at the ``wanted`` positions."""
        if not wanted:
            return
        last = max(wanted)
        lines = (line.decode("utf-8") for line in io.BytesIO(bytes(self.data)))
        reader = csv.reader(lines, delimiter=self.delim)
        position, header = -1, self.has_header
        start = 1
        for fields in reader:
            first_line, start = start, reader.line_num + 1
            if not fields:
                continue
            if header:
                header = False
                continue
            if len(fields) != self.width:
                continue
            position += 1
            if position in wanted:
                yield position, first_line, fields
            if position >= last:
                return

    def lines(self, positions) -> list[int]:
        positions = [int(p) for p in positions]
        if self.simple():
            return [p + 1 + self.has_header for p in positions]
        found = {p: line for p, line, _ in self.scan(set(positions))}
        return [found.get(p, p + 1 + self.has_header) for p in positions]


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


def _trailing_summary(data, delim: str, width: int, date: int | None) -> int:
    """How many of the last records are summary rows: first field ``Total`` (or another of
    ``SUMMARY_WORDS``), nothing in the date column, as many fields as the header."""
    tail = bytes(data[-SNIFF_BYTES:]).decode("utf-8", errors="replace")
    count = 0
    for line in reversed([line for line in tail.splitlines() if line.strip()][-10:]):
        fields = next(csv.reader([line], delimiter=delim), [])
        if not any(f.strip() for f in fields):
            continue  # an empty row (,,,) after the summary
        if len(fields) != width or fields[0].strip().lower() not in SUMMARY_WORDS:
            break
        if date is not None and fields[date].strip():
            break
        count += 1
    return count


def _check_quotes(name: str, data, delim: str) -> None:
    """Refuse a quoted field that never closes: it would swallow every line after it. An odd
    number of quote characters is the sign; the record that runs to the end tells."""
    if _count(data, b'"') % 2 == 0:
        return
    text = bytes(data).decode("utf-8", errors="replace")
    start = _last_record_start(text, delim)
    rest = text.splitlines(keepends=True)[start - 1 :]
    try:
        list(csv.reader(io.StringIO("".join(rest), newline=""), delimiter=delim, strict=True))
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            total = text.count("\n") + (not text.endswith("\n"))
            raise InputError(
                f"{name}: line {start} opens a quoted field that never closes, so lines "
                f"{start} to {total} would read as one value; fix the quoting (a quote inside "
                'a quoted field is written twice: "")'
            ) from None


def _last_record_start(text: str, delim: str) -> int:
    """The physical line on which the last record of ``text`` starts."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    start = next_start = 1
    for _ in reader:
        start, next_start = next_start, reader.line_num + 1
    return start


def _read_parquet(name: str, data, pick: Pick) -> RawTable:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(pa.BufferReader(pa.py_buffer(data)))
        header = parquet.schema_arrow.names
        table = parquet.read(columns=list(pick(header)))
    except pa.ArrowException as exc:
        raise InputError(f"{name}: cannot read as Parquet: {exc}") from None
    return RawTable(name, table.to_pandas(), header, "parquet")
