"""Where output goes: the format an output path asks for, and atomic writes."""

from __future__ import annotations

import os
import socket
import stat
import tempfile

FORMATS = ("table", "csv", "json", "markdown", "xlsx", "parquet")
BINARY = ("xlsx", "parquet")  # written as bytes, to a file or a pipe
EXTENSIONS = {".csv": "csv", ".json": "json", ".md": "markdown", ".markdown": "markdown",
              ".txt": "table", ".xlsx": "xlsx", ".parquet": "parquet",
              ".pq": "parquet"}  # fmt: skip


def format_for_path(path: str) -> str | None:
    """The format an output path's extension asks for, if any."""
    return EXTENSIONS.get(os.path.splitext(path)[1].lower())


def _mode_for(path: str) -> int:
    """Keep an existing file's mode; a new one gets what open() would give it (0666 - umask)."""
    if os.path.exists(path):
        return os.stat(path).st_mode & 0o7777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _write_special(path: str, data: bytes) -> None:
    """Write into a FIFO, a device or a Unix socket as it is: renaming a file over it would
    replace the pipe or device with a regular file."""
    if stat.S_ISSOCK(os.stat(path).st_mode):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(path)
            sock.sendall(data)
    else:
        with open(path, "wb") as out:
            out.write(data)


def write_atomic(path: str, text: str | bytes) -> None:
    """Write ``text`` (or bytes) to ``path`` through a temporary file in the same folder and a
    rename, so that readers see the old file or the whole new one, never half of it.

    A symlink is followed: the temporary file goes beside its target, which it replaces, and the
    link stays a link. A FIFO, a device or a socket is written into directly."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    target = os.path.realpath(path)
    if os.path.exists(target) and not os.path.isfile(target):
        _write_special(target, data)
        return
    handle, temp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".retain-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temp, _mode_for(target))
        os.replace(temp, target)
    except BaseException:  # KeyboardInterrupt and SIGTERM (cli.main) too
        if os.path.exists(temp):
            os.unlink(temp)
        raise
