"""A file written whole or not at all: written to a temporary file beside it, flushed to the disk (fsync), renamed
over it, and the rename flushed too; as databases and package managers write theirs. (Or flushed by the caller,
once for a set of files: reportset.py flushes a set's files and folder as it publishes the set.) A crash, a kill or
a full disk leaves the file as it was before (and no temporary file, unless the process was killed mid-write: a
hidden .<name>.<random>.tmp beside it, never read)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_bytes(path: Path, data: bytes, flushed: bool = True) -> None:
    """Put data at path atomically; OSError (ENOSPC for a full disk) leaves path as it was. flushed=False: the
    caller flushes the file and its folder to the disk itself, once its last file is written (a report set, as it
    is published)."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(handle, view) :]
            if flushed:
                os.fsync(handle)
        finally:
            os.close(handle)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    if flushed:
        sync_folder(path.parent)


def utf8(text: str) -> bytes:
    """text in UTF-8, what UTF-8 cannot carry (a lone surrogate an endpoint's JSON escape made: in a field's name,
    an error_code) written as its escape, \\ud800: the same character in JSON and YAML, and readable elsewhere."""
    return text.encode("utf-8", "backslashreplace")


def write_text(path: Path, text: str) -> None:
    write_bytes(path, utf8(text))


def sync_folder(folder: Path) -> None:
    """Flush a folder's entries (a rename, a new file) to the disk, where the system allows it."""
    try:
        handle = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass  # some file systems cannot sync a folder; the rename is still atomic
    finally:
        os.close(handle)
