"""Writing a file whole or not at all: a checkpoint, a picture, a page.

``with replacing(path) as file:`` hands out a temporary file in the folder of
``path``. Only when the block ends without an error is it flushed to disk and
put in ``path``'s place by ``os.replace``, one step that a reader never sees
half done; any error (a full disk, Ctrl-C) deletes it and leaves the old file
as it was.

A ``path`` that is a symbolic link is written through, as ``open(path, "wb")``
(and so ``torch.save``) writes through it: the link stays, its target gets the
new bytes, and the temporary file is made in the target's folder, since
``os.replace`` cannot move a file across file systems.
"""

from __future__ import annotations

import errno
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO


def target(path: str | os.PathLike) -> str:
    """The file that writing to ``path`` changes: ``path`` itself, or the file its links lead to."""
    resolved = os.path.realpath(path)
    if os.path.islink(resolved):  # realpath stops at a loop of links
        raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), os.fspath(path))
    return resolved


@contextmanager
def replacing(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """A binary file to write; on success it becomes ``target(path)``, keeping that file's permissions."""
    final = target(path)
    if os.path.isdir(final):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), os.fspath(path))
    # A fresh name opened with "x" (not mkstemp, whose file is private): the new file gets the
    # permissions open() would give it, or the old file's.
    temporary = os.path.join(os.path.dirname(final), f".{os.path.basename(final)}.{secrets.token_hex(6)}.tmp")
    try:
        file = open(temporary, "xb")
    except OSError as error:  # no such folder, not a folder, no permission: said of path, not of the temporary
        raise type(error)(error.errno, error.strerror, os.fspath(path)) from None
    try:
        with file:
            yield file
            file.flush()
            os.fsync(file.fileno())  # the bytes are on disk before the name points at them
        if os.path.exists(final):
            os.chmod(temporary, os.stat(final).st_mode & 0o7777)
        os.replace(temporary, final)
    except BaseException:
        os.unlink(temporary)
        raise
