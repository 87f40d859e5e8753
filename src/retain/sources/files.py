"""Read transaction files into raw frames: CSV-like text (plain or compressed), Parquet, stdin.

This module knows about bytes, encodings, delimiters and file formats, nothing about what the
columns mean: `pick` (from normalize) chooses which of the header's columns to load.
CSV columns are loaded as text, so customer ids like ``00012`` and dates stay exactly as written.
"""

from __future__ import annotations

import bz2
import csv
import glob
import gzip
import io
import lzma
import os
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from retain.errors import InputError, counted

DELIMITERS = (",", ";", "\t", "|")
SNIFF_BYTES = 1 << 16
PARQUET_MAGIC = b"PAR1"
# Given the header, the columns to load, each with the Arrow type to try (None: text).
Pick = Callable[[list[str]], dict[str, pa.DataType | None]]


@dataclass
class RawTable:
    """One input file, read: its display name, the loaded columns, every header name, how the
    text was read, and the rows that had the wrong number of fields (skipped, with examples)."""

    name: str
    frame: pd.DataFrame
    header: list[str]
    kind: str = "csv"
    delimiter: str | None = None
    encoding: str | None = None
    malformed: int = 0
    malformed_examples: list[str] = field(default_factory=list)
    typed: bool = False  # some columns were parsed by the reader, not kept as text


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


def _open_binary(path: str) -> io.BufferedIOBase:
    """Open ``path`` (or stdin for ``-``) as a stream of decompressed bytes."""
    if path == "-":
        return io.BytesIO(sys.stdin.buffer.read())
    if not os.path.exists(path):
        raise InputError(f"{path}: no such file")
    if os.path.isdir(path):
        raise InputError(f"{path}: is a folder; name the files in it (a glob such as {path}/*.csv)")
    lower = path.lower()
    if lower.endswith(".gz"):
        return gzip.open(path, "rb")
    if lower.endswith(".bz2"):
        return bz2.open(path, "rb")
    if lower.endswith(".xz"):
        return lzma.open(path, "rb")
    if lower.endswith(".zip"):
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.namelist() if not m.endswith("/")]
            if len(members) != 1:
                raise InputError(
                    f"{path}: a zip file must hold exactly one table, it holds {len(members)}; "
                    "unzip it and name the files"
                )
            return io.BytesIO(archive.read(members[0]))
    return open(path, "rb")  # noqa: SIM115 - closed by the caller


def _decode_sample(name: str, sample: bytes, encoding: str | None) -> str:
    if len(sample) == SNIFF_BYTES and b"\n" in sample:
        sample = sample[: sample.rindex(b"\n")]  # never cut a multi-byte character in two
    try:
        return sample.decode(encoding or "utf-8-sig")
    except UnicodeDecodeError as exc:
        line = sample.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"{name}: line {line} (byte {exc.start}) is not valid {encoding or 'UTF-8'} text; "
            f"{_encoding_hint(sample)}"
        ) from None
    except LookupError:
        raise InputError(f"unknown encoding {encoding!r}; pass a Python codec name") from None


def _encoding_hint(sample: bytes) -> str:
    """Which --encoding to pass: GB18030 when the bytes read as Chinese text, else cp1252."""
    try:
        text = sample.decode("gb18030")
    except UnicodeDecodeError:
        text = ""
    if sum("\u4e00" <= ch <= "\u9fff" for ch in text) >= 2:
        return "it reads as Chinese text: pass --encoding gb18030"
    return "pass --encoding (for example --encoding cp1252 or --encoding gb18030)"


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


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines of ``text`` into the most, consistent, fields."""
    lines = text.splitlines()[:20] or [""]
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
    return best


def read_table(
    path: str,
    *,
    pick: Pick,
    encoding: str | None = None,
    delimiter: str | None = None,
    on_bad_rows: str = "fail",
) -> RawTable:
    """Read one file (``-`` for stdin) and load the columns ``pick`` chooses from its header.

    A column that ``pick`` gives a type is parsed by pyarrow's parallel reader as that type
    when every value converts; otherwise (any error or empty value) the whole file is read as
    text, so that the caller sees every value as written. Rows with more or fewer fields than
    the header are skipped and counted in ``malformed`` (with ``on_bad_rows="fail"``, the first
    of them raise ``InputError``).
    """
    name = "<stdin>" if path == "-" else path
    stream = _open_binary(path)
    try:
        head = stream.read(len(PARQUET_MAGIC))
        if head == PARQUET_MAGIC:
            return _read_parquet(name, head + stream.read(), pick)
        sample = head + stream.read(SNIFF_BYTES - len(head))
        if not sample.strip():
            raise InputError(
                f"{name}: the file is empty; export the transactions with a header row"
            )
        if encoding is None and sample.startswith((b"\xff\xfe", b"\xfe\xff")):
            encoding = "utf-16"  # a UTF-16 byte order mark
        problem = None if encoding else _not_a_table(name, sample)
        if problem:
            raise InputError(problem)
        text = _decode_sample(name, sample, encoding)
        delim = delimiter or sniff_delimiter(text)
        try:
            lines = io.StringIO(text.lstrip("\ufeff"), newline="")
            header = next(csv.reader(lines, delimiter=delim), [])
        except csv.Error as exc:
            raise InputError(f"{name}: cannot read the header row: {exc}") from None
        wanted = pick(header)
        twice = sorted({c for c in wanted if header.count(c) > 1})
        if twice:
            raise InputError(f"{name}: the header names {twice[0]!r} twice; rename one of them")
        # pyarrow reads plain, gzip and bz2 files itself, in parallel; other sources from memory
        native = path != "-" and not path.lower().endswith((".xz", ".zip"))
        body = path if native else io.BytesIO(sample + stream.read())
    finally:
        stream.close()
    malformed: list[str] = []
    frame = None
    if any(wanted.values()):
        frame = _parse_csv(name, body, delim, encoding, wanted, malformed, typed=True)
        if frame is None:
            malformed.clear()
            if isinstance(body, io.BytesIO):
                body.seek(0)
    if frame is None:
        frame = _parse_csv(name, body, delim, encoding, wanted, malformed)
    if malformed and on_bad_rows == "fail":
        width = len(header)
        raise InputError(
            f"{name}: {counted(len(malformed), 'row')} without the header's {width} fields "
            f"({'; '.join(repr(t) for t in malformed[:5])}); check the delimiter "
            f"({delim!r}) and quoting, or pass --on-bad-rows skip to skip and count them"
        )
    examples = [f"{name}: {t!r}" for t in malformed[:5]]
    typed = any(not pd.api.types.is_string_dtype(dtype) for dtype in frame.dtypes)
    return RawTable(
        name, frame, header, "csv", delim, encoding or "utf-8", len(malformed), examples, typed
    )


def _parse_csv(
    name: str,
    body: str | io.BytesIO,
    delim: str,
    encoding: str | None,
    wanted: dict[str, pa.DataType | None],
    malformed: list[str],
    typed: bool = False,
) -> pd.DataFrame | None:
    """The wanted columns; with ``typed``, parsed to their types, or None if any value is not."""

    def skip(row) -> str:
        malformed.append(row.text)
        return "skip"

    read = pacsv.ReadOptions(encoding=encoding or "utf8", block_size=1 << 24)
    parse = pacsv.ParseOptions(delimiter=delim, newlines_in_values=True, invalid_row_handler=skip)
    convert = pacsv.ConvertOptions(
        column_types={c: (t if typed and t else pa.string()) for c, t in wanted.items()},
        include_columns=list(wanted),
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    try:
        table = pacsv.read_csv(
            body, read_options=read, parse_options=parse, convert_options=convert
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        message = str(exc).splitlines()[0]
        if typed and "conversion error" in message.lower():
            return None
        if "UTF8" in message or isinstance(exc, UnicodeDecodeError):
            message = "text is not valid UTF-8; pass --encoding (for example cp1252 or gb18030)"
        raise InputError(f"{name}: cannot read as {delim!r}-delimited text: {message}") from None
    if typed and any(table.column(c).null_count for c, t in wanted.items() if t):
        return None
    return table.to_pandas(split_blocks=True, self_destruct=True)  # frees Arrow memory as it goes


def _read_parquet(name: str, data: bytes, pick: Pick) -> RawTable:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(pa.BufferReader(data))
        header = parquet.schema_arrow.names
        table = parquet.read(columns=list(pick(header)))
    except pa.ArrowException as exc:
        raise InputError(f"{name}: cannot read as Parquet: {exc}") from None
    return RawTable(name, table.to_pandas(), header, "parquet")
