"""Where output goes: the format an output path asks for, and atomic writes."""

from __future__ import annotations

import os
import tempfile

EXTENSIONS = {".csv": "csv", ".json": "json", ".md": "markdown", ".markdown": "markdown",
              ".txt": "table"}  # fmt: skip


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


def write_atomic(path: str, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename, so
    that readers see the old file or the whole new one, never half of it."""
    folder = os.path.dirname(os.path.abspath(path))
    handle, temp = tempfile.mkstemp(dir=folder, prefix=".retain-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.chmod(temp, _mode_for(path))
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise
