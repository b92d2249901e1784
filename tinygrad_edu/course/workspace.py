"""A student's workspace: writing it, resetting one task, finding its files.

The templates are text files of package data (so that they are never imported
or linted as part of tinygrad_edu). Each task's solution sits between
``# BEGIN SOLUTION`` and ``# END SOLUTION``: a fresh workspace gets a stub
raising ``NotImplementedError("Task 1.6: Sigmoid.backward")`` there, a solved
one (``--solutions``) the solution without the markers.

Nothing a student wrote is ever deleted: ``start --force`` first moves the
old files to a dated folder beside the workspace, and ``reset`` copies the
file there before it puts one stub back.
"""

from __future__ import annotations

import datetime
import os
import re
import shutil
from importlib import resources
from pathlib import Path

from .tasks import BY_ID, FORMER_NAMES, PARTS, Task

HEADER = re.compile(r"^# === Task (\S+) · .* ===$")
BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"


__all__ = ["WorkspaceError", "part_file", "part_files", "render", "reset", "start", "template_text", "write_text"]


class WorkspaceError(Exception):
    """The workspace cannot be written, read or reset as asked (the message says why)."""


def template_text(filename: str) -> str:
    """The template of one part file, solutions and markers included."""
    return resources.files("tinygrad_edu.course").joinpath("templates", f"{filename}.txt").read_text(encoding="utf-8")


def render(template: str, solutions: bool) -> str:
    """The template with each solution block kept (``solutions``) or replaced by its task's stub."""
    lines, task, inside = [], None, False
    for line in template.splitlines(keepends=True):
        header = HEADER.match(line.rstrip("\n"))
        if header:
            task = BY_ID[header.group(1)]
        stripped = line.strip()
        if stripped == BEGIN:
            inside = True
            if not solutions:
                indent = line[: len(line) - len(line.lstrip())]
                lines.append(f'{indent}raise NotImplementedError("Task {task.id}: {task.title}")\n')
            continue
        if stripped == END:
            inside = False
            continue
        if solutions or not inside:
            lines.append(line)
    return "".join(lines)


def written_files(solutions: bool = False) -> dict[str, str]:
    """File name → the text ``start`` writes, one file per part."""
    return {filename: render(template_text(filename), solutions) for filename, _ in PARTS.values()}


def part_file(directory: Path, filename: str) -> Path | None:
    """The workspace's file for part file ``filename``, under its name or a former one
    (``part4_optimisers.py`` of workspaces written before the rename); None if there is none."""
    for name in (filename, *FORMER_NAMES.get(filename, ())):
        if (directory / name).is_file():
            return directory / name
    return None


def part_files(directory: Path) -> dict[str, Path]:
    """Part file name → the workspace's file, for every part file the workspace has."""
    found = {filename: part_file(directory, filename) for filename, _ in PARTS.values()}
    return {filename: path for filename, path in found.items() if path is not None}


def backup_folder(directory: Path) -> Path:
    """A new, empty folder beside ``directory``, named after it and the time: ``ws-backup-20261130-001502``."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    candidate = directory.parent / f"{directory.name}-backup-{stamp}"
    number = 2
    while candidate.exists():
        candidate = directory.parent / f"{directory.name}-backup-{stamp}-{number}"
        number += 1
    candidate.mkdir(parents=True)
    return candidate


def write_text(path: Path, text: str) -> None:
    """Write through a temporary file beside ``path`` and a rename, so that a failed write leaves no
    half-written file (and no temporary one)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def start(directory: Path, force: bool = False, solutions: bool = False) -> tuple[list[Path], Path | None]:
    """Write one file per part into ``directory``; return the files and the backup folder (or None).

    A non-empty ``directory`` is refused unless ``force``; then its contents
    move to a backup folder beside it first.
    """
    if directory.exists() and not directory.is_dir():
        raise WorkspaceError(f"{directory} is a file, not a folder")
    backup = None
    if directory.is_dir() and any(directory.iterdir()):
        if not force:
            raise WorkspaceError(f"{directory} is not empty; use --force to move its files to a backup folder "
                                 "beside it first")
        backup = backup_folder(directory)
        for entry in sorted(directory.iterdir()):
            shutil.move(str(entry), str(backup / entry.name))
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for filename, text in written_files(solutions).items():
        write_text(directory / filename, text)
        written.append(directory / filename)
    return written, backup


def sections(text: str) -> list[tuple[str | None, str]]:
    """The text cut at each task header: [(None, preamble), ("1.1", section), …]."""
    pieces: list[tuple[str | None, list[str]]] = [(None, [])]
    for line in text.splitlines(keepends=True):
        header = HEADER.match(line.rstrip("\n"))
        if header:
            pieces.append((header.group(1), []))
        pieces[-1][1].append(line)
    return [(task_id, "".join(lines)) for task_id, lines in pieces]


def reset(directory: Path, task: Task) -> tuple[Path, Path | None]:
    """Put ``task``'s stub back in its file; return the file and where the student's version went.

    A workspace without ``task``'s part file (written before that part existed, or the file
    deleted) gets the part's file of stubs, and there was no version to keep (None)."""
    path = part_file(directory, task.filename)
    if path is None:
        if not part_files(directory):
            raise WorkspaceError(f"{directory / task.filename} does not exist; is {directory} a workspace written "
                                 "by `exercises start`?")
        write_text(directory / task.filename, render(template_text(task.filename), solutions=False))
        return directory / task.filename, None
    current = path.read_text(encoding="utf-8")
    stub = dict(sections(render(template_text(task.filename), solutions=False)))[task.id]
    pieces = sections(current)
    if task.id not in [task_id for task_id, _ in pieces]:
        raise WorkspaceError(f"{path} has no header line '# === Task {task.id} · … ===' any more; put it back "
                             f"above {task.symbol} (or start again with --force)")
    backup = backup_folder(directory)
    shutil.copy2(path, backup / path.name)
    # A section's trailing blank lines separate it from the next one; the stub keeps its own.
    write_text(path, "".join(stub if task_id == task.id else text for task_id, text in pieces))
    return path, backup / path.name
