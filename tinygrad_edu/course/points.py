"""Points per task: the defaults of ``tasks.py`` (100 in all), and a teacher's file that overrides them.

The file is TOML (read with the standard library's tomllib), one line a task,
under a ``[points]`` table; tasks it leaves out keep their default::

    [points]
    "1.1" = 2
    "5.2" = 10.5

A task is passed or not, so it scores all of its points or none.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

from .tasks import BY_ID, TASKS

__all__ = ["PointsError", "default_points", "read_points"]


class PointsError(Exception):
    """A points file that cannot be read, does not parse, or names unknown tasks or bad numbers."""


def default_points() -> dict[str, float]:
    return {task.id: float(task.points) for task in TASKS}


def read_points(path: Path | None) -> dict[str, float]:
    """Task id → points: the defaults, overridden by the file at ``path`` (None: the defaults only)."""
    table = default_points()
    if path is None:
        return table
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise PointsError(f"cannot read the points file {path}: {error.strerror or error}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise PointsError(f"the points file {path} is not TOML: {error}") from None
    if set(data) != {"points"} or not isinstance(data["points"], dict):
        raise PointsError(f'the points file {path} must hold one table, [points], with lines such as "1.1" = 2')
    for task_id, value in data["points"].items():
        if task_id not in BY_ID:
            raise PointsError(f"the points file {path} names an unknown task {task_id!r}; the tasks are "
                              f"{', '.join(BY_ID)}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise PointsError(f"the points file {path} gives task {task_id} {value!r} points: expected a "
                              "number ≥ 0")
        table[task_id] = float(value)
    return table
