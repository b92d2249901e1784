"""Mechanical mutants of the exercises' solutions, and cheats, to measure whether the graders reject wrong code.

Each mutant changes one thing inside one task's solution (the lines between
``# BEGIN SOLUTION`` and ``# END SOLUTION`` of a template): an arithmetic
operator flipped (+ ↔ −, * ↔ /, ** → *), a term dropped (``a + b`` → ``a`` or
``b``, ``-a`` → ``a``), or two arguments of a call swapped. The mutated part
file goes into an otherwise solved workspace and only that task is graded,
each task with a short timeout (a mutant may loop for ever). Then every cheat
and hostile file of exercise_cheats.py, none of which may pass.

``python tests/exercise_mutants.py`` grades them all and prints the
survivors, the kill rate and the time (docs/exercises.md lists the survivors
judged equivalent); it exits 1 when more than 5% of the mutants survive, a
survivor is not listed, or a cheat passes.
"""

from __future__ import annotations

import ast
import copy
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from exercise_cheats import CHEATS

from tinygrad_edu.course import runner, tasks, workspace
from tinygrad_edu.course.grading import grade_workspace

TIMEOUT = 10.0  # seconds per task: a solved task takes under one

FLIPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.Pow: ast.Mult}


@dataclass(frozen=True)
class Mutant:
    task: str
    filename: str
    description: str
    source: str


def key(node: ast.AST) -> tuple:
    """Where a node is: the same in a deep copy of the tree."""
    return (type(node).__name__, node.lineno, node.col_offset, node.end_lineno, node.end_col_offset)


def solution_lines(template: str) -> dict[int, str]:
    """Line number → task id, for every line inside a solution block."""
    lines, task, inside = {}, None, False
    for number, line in enumerate(template.splitlines(), start=1):
        header = workspace.HEADER.match(line)
        if header:
            task = header.group(1)
        if line.strip() == workspace.BEGIN:
            inside = True
        elif line.strip() == workspace.END:
            inside = False
        elif inside:
            lines[number] = task
    return lines


def variants(node: ast.AST) -> Iterator[tuple[str, ast.AST]]:
    """(what changed, the replacement node) for each mutation of ``node``."""
    if isinstance(node, ast.BinOp):
        if type(node.op) in FLIPS:
            yield "flip operator", ast.BinOp(node.left, FLIPS[type(node.op)](), node.right)
        yield "drop right term", node.left
        yield "drop left term", node.right
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        yield "drop minus", node.operand
    elif isinstance(node, ast.Call) and len(node.args) >= 2:
        for i in range(len(node.args) - 1):
            if ast.dump(node.args[i]) != ast.dump(node.args[i + 1]):
                args = list(node.args)
                args[i], args[i + 1] = args[i + 1], args[i]
                yield f"swap arguments {i + 1} and {i + 2}", ast.Call(node.func, args, node.keywords)


class Replace(ast.NodeTransformer):
    def __init__(self, target: tuple, replacement: ast.AST):
        self.target, self.replacement = target, replacement

    def visit(self, node):
        if hasattr(node, "lineno") and key(node) == self.target:
            return self.replacement
        return self.generic_visit(node)


def mutants() -> list[Mutant]:
    """Every mutant of every task's solution, in file and line order."""
    found = []
    for filename, _ in tasks.PARTS.values():
        template = workspace.template_text(filename)
        inside = solution_lines(template)
        tree = ast.parse(template)
        for node in ast.walk(tree):
            if not hasattr(node, "lineno") or node.lineno not in inside:
                continue
            for what, replacement in variants(node):
                mutated = Replace(key(node), copy.deepcopy(replacement)).visit(copy.deepcopy(tree))
                ast.fix_missing_locations(mutated)
                description = f"{filename}:{node.lineno} {what}: {ast.unparse(node)} → {ast.unparse(replacement)}"
                found.append(Mutant(inside[node.lineno], filename, description, ast.unparse(mutated)))
    return found


def grade_mutant(mutant, directory: Path, start_with) -> str:
    """The status the task of a mutant (or a cheat: ``.source()``) gets in a solved workspace (``directory``)
    with the mutant's file."""
    path = directory / mutant.filename
    solved = path.read_text(encoding="utf-8")
    try:
        path.write_text(mutant.source if isinstance(mutant.source, str) else mutant.source(), encoding="utf-8")
        return grade_workspace(directory, [mutant.task], TIMEOUT, start_with=start_with)[0].status
    finally:
        path.write_text(solved, encoding="utf-8")


def listed_in_docs(mutant: Mutant) -> bool:
    """docs/exercises.md lists each surviving mutant by its description after the file name."""
    doc = (Path(__file__).resolve().parent.parent / "docs" / "exercises.md").read_text(encoding="utf-8")
    return mutant.description.partition(" ")[2] in doc


def main(directory: Path) -> int:
    """Grade every mutant and cheat; exit 1 if more than 5% of the mutants survive, a survivor is not listed in
    docs/exercises.md, or a cheat passes."""
    workspace.start(directory, solutions=True)
    began, start_with = time.monotonic(), runner.launcher()
    try:
        survivors, found = [], mutants()
        for number, mutant in enumerate(found, start=1):
            status = grade_mutant(mutant, directory, start_with)
            print(f"{number}/{len(found)} {status:<11} Task {mutant.task} {mutant.description}", flush=True)
            if status == "passed":
                survivors.append(mutant)
        passed_cheats = []
        for number, cheat in enumerate(CHEATS, start=1):
            status = grade_mutant(cheat, directory, start_with)
            print(f"cheat {number}/{len(CHEATS)} {status:<11} Task {cheat.task} {cheat.description}", flush=True)
            if status == "passed":
                passed_cheats.append(cheat)
    finally:
        start_with.close()
    print(f"\n{len(found) - len(survivors)} of {len(found)} mutants rejected "
          f"({(len(found) - len(survivors)) / len(found):.1%}); {len(CHEATS) - len(passed_cheats)} of {len(CHEATS)} "
          f"cheats and hostile files rejected; {time.monotonic() - began:.0f} s; survivors:")
    for mutant in survivors:
        print(f"  Task {mutant.task} {mutant.description}" + ("" if listed_in_docs(mutant) else "  (NOT LISTED)"))
    for cheat in passed_cheats:
        print(f"  CHEAT PASSED: Task {cheat.task} {cheat.description}")
    too_many = len(survivors) > 0.05 * len(found)
    unlisted = any(not listed_in_docs(mutant) for mutant in survivors)
    return 1 if too_many or unlisted or passed_cheats else 0


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        sys.exit(main(Path(folder) / "workspace"))
