"""Read a ledger CSV as a stream of (line number, record): a file, a gzip file or stdin.

Memory stays bounded whatever the input: lines are read with a size limit, so a file that
is one enormous line is rejected at that line after reading `MAX_LINE_CHARS` characters,
never loaded whole. Gzip is recognised by its magic bytes, not by the file name.
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from portal.ledger.rows import missing_columns

MAX_LINE_CHARS = 1 << 20  # 1 MiB of text: a ledger line is a few hundred characters
_GZIP_MAGIC = b"\x1f\x8b"


class FileError(ValueError):
    """The input as a whole cannot be read; `line` says where (0: before any line)."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line


class _CountingReader(io.RawIOBase):
    """Wraps a binary stream and reports bytes read, for a progress bar."""

    def __init__(self, raw, on_read: Callable[[int], None]):
        self._raw = raw
        self._on_read = on_read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        if n:
            self._on_read(n)
        return n


@contextmanager
def open_binary(path, on_progress: Callable[[int], None] | None = None):
    """Yield the bytes of `path` ('-' is standard input; or an open binary file), gunzipped
    when compressed."""
    if isinstance(path, str):
        raw = sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115 - closed below
    else:
        raw = path
    try:
        counted = io.BufferedReader(_CountingReader(raw, on_progress or (lambda n: None)),
                                    buffer_size=1 << 16)
        yield gzip.GzipFile(fileobj=counted) if counted.peek(2)[:2] == _GZIP_MAGIC else counted
    finally:
        if isinstance(path, str) and raw is not sys.stdin.buffer:
            raw.close()


@contextmanager
def open_ledger(path, on_progress: Callable[[int], None] | None = None):
    """Yield a text stream over `path` ('-' is standard input), gunzipped when compressed."""
    with open_binary(path, on_progress) as binary:
        yield io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")


def _bounded_lines(text, counter: list[int]) -> Iterator[str]:
    """Physical lines of `text`, refusing any longer than MAX_LINE_CHARS without reading it."""
    readline = text.readline
    limit = MAX_LINE_CHARS
    while True:
        line = readline(limit + 1)
        if not line:
            return
        counter[0] += 1
        if len(line) > limit:
            raise FileError(counter[0], f"line {counter[0]} is longer than {limit:,} characters;"
                            " a ledger line is a few hundred (is this the right file?)")
        yield line


def records(text) -> Iterator[tuple[int, dict]]:
    """(line number of the record's first line, {column: text}) for each data row.

    Raises FileError for a missing header, an over-long line, bad UTF-8 or broken CSV.
    """
    counter = [0]
    try:
        reader = csv.reader(_bounded_lines(text, counter))
        header = [h.strip() for h in next(reader, [])]
        missing = missing_columns(header)
        if missing:
            raise FileError(1, "missing required column(s): " + ", ".join(missing))
        width = len(header)
        start = reader.line_num + 1
        for fields in reader:
            if not fields:  # a blank line, as csv.DictReader skips them
                start = reader.line_num + 1
                continue
            record = dict(zip(header, fields, strict=False))
            if len(fields) > width:
                record[None] = fields[width:]
            yield start, record
            start = reader.line_num + 1
    except UnicodeDecodeError as exc:
        raise FileError(0, f"the file is not valid UTF-8 text ({exc.reason})") from exc
    except csv.Error as exc:
        raise FileError(0, f"the file is not valid CSV: {exc}") from exc
    except (OSError, EOFError) as exc:  # a truncated or corrupt gzip stream
        raise FileError(counter[0], f"the file cannot be read: {exc}") from exc


__all__ = ["MAX_LINE_CHARS", "FileError", "open_binary", "open_ledger", "records"]
