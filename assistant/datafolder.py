"""The data folder is private: the folder and its subfolders 0700, every file in it 0600, whatever the umask.

It holds the audit log (questions, case facts), uploads, crash details and the canonical text of
every ingested document. A writer makes its folder with ``private_dir`` before writing, so nothing
is readable by another user even for a moment (nobody else can enter a 0700 folder); after a step
that lets other code write files there (SQLite's -wal and -shm, Chroma's files, an upload),
``seal`` sets the modes of what was written.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def _may_tighten(path: Path) -> bool:
    """Whether an existing folder may be made private: not a shared folder (sticky bit, like /tmp), not the home folder."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not mode & stat.S_ISVTX and path.resolve() != Path.home().resolve()


def private_dir(path: Path | str) -> Path:
    """Make ``path`` (and missing parents) exist, and make it 0700; returns it.

    Missing parents are made with the ordinary modes: they are not ours (``~/.local/share``, say).
    """
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    if stat.S_IMODE(path.stat().st_mode) != DIR_MODE and _may_tighten(path):
        os.chmod(path, DIR_MODE)
    return path


def private_file(path: Path | str) -> None:
    """Make an existing file 0600 (nothing happens if it does not exist)."""
    try:
        if stat.S_IMODE(os.lstat(path).st_mode) != FILE_MODE and not os.path.islink(path):
            os.chmod(path, FILE_MODE)
    except FileNotFoundError:
        pass


def open_private(path: Path | str, mode: str = "w", encoding: str | None = "utf-8"):
    """Open ``path`` for writing, created 0600 (an existing file is made 0600 too)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | (os.O_APPEND if "a" in mode else os.O_TRUNC), FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    return os.fdopen(fd, mode, encoding=None if "b" in mode else encoding)


def seal(root: Path | str) -> None:
    """Make ``root`` and every folder below it 0700 and every file 0600 (symbolic links are left alone)."""
    root = Path(root)
    if not root.is_dir():
        return
    private_dir(root)
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            path = os.path.join(folder, name)
            try:
                if not os.path.islink(path) and stat.S_IMODE(os.lstat(path).st_mode) != DIR_MODE:
                    os.chmod(path, DIR_MODE)
            except FileNotFoundError:  # removed while we walked (a pruned build)
                continue
        for name in files:
            private_file(os.path.join(folder, name))
