"""Run every notebook in this folder top to bottom and store its outputs, or check the stored ones.

    python docs/notebooks/regenerate.py                    # every notebook, outputs written back
    python docs/notebooks/regenerate.py part2_momentum.ipynb
    python docs/notebooks/regenerate.py --check            # exit 1 if a stored output is stale

The notebooks are stored with their outputs, so that a reader on a code host sees the numbers and
the pictures without running anything. Each one runs in a fresh kernel in a temporary folder (the
files it writes, such as backward.html, land there), with this folder's tinygrad_edu. ``--check``
runs them the same way and compares: every text output (printed numbers, tables) must be the same
as the stored one, and every picture must be stored where the fresh run draws one; pictures
themselves are not compared, since renderers differ from version to version. A failing check
prints, per cell, what differs, and exits 1; the fix is to run this script and commit.

Needs the ``notebook`` extra: pip install ".[notebook]" (in a clone of tinygrad_edu).
"""

from __future__ import annotations

import argparse
import copy
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
TIMEOUT = 600  # seconds per cell
PICTURES = ("image/png", "image/svg+xml", "image/jpeg")
TEXTS = ("text/plain", "text/html", "text/markdown", "text/latex", "application/json")


def notebooks() -> list[Path]:
    """Every notebook of this folder, in name order."""
    return sorted(HERE.glob("*.ipynb"))


def execute(notebook, folder: Path | None = None):
    """``notebook`` (a path, or an nbformat NotebookNode) run top to bottom in a fresh kernel whose working
    folder is ``folder`` (None: a temporary one); returns the NotebookNode with its outputs.

    Raises nbclient's CellExecutionError when a cell fails.
    """
    import nbclient
    import nbformat

    if isinstance(notebook, str | Path):
        notebook = nbformat.read(notebook, as_version=4)
    with tempfile.TemporaryDirectory() as temporary:
        client = nbclient.NotebookClient(notebook, timeout=TIMEOUT, kernel_name="python3", record_timing=False,
                                         resources={"metadata": {"path": str(folder or temporary)}})
        client.execute()
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = [tidy(output) for output in joined(cell.outputs)]
    notebook.metadata.get("language_info", {}).pop("version", None)  # the same file from every Python 3
    return notebook


def joined(outputs: list) -> list:
    """Consecutive printing to one stream as one output: the kernel cuts it where it happened to flush."""
    result = []
    for output in outputs:
        if output.output_type == "stream" and result and result[-1].output_type == "stream" \
                and result[-1].name == output.name:
            result[-1].text += output.text
        else:
            result.append(copy.deepcopy(output))
    return result


def tidy(output):
    """A picture's output keeps only the picture: its text fallback is an object's repr, often with an
    address (``<graphviz.graphs.Digraph at 0x7f…>``) that would change at every run."""
    data = output.get("data", {})
    if any(kind in data for kind in PICTURES):
        output["data"] = {kind: value for kind, value in data.items() if kind in PICTURES}
    return output


def shown(output) -> dict:
    """What a reader sees of one output: its texts by type, and its pictures by type only."""
    if output.output_type == "stream":
        return {output.name: output.text}
    if output.output_type == "error":
        return {"error": f"{output.ename}: {output.evalue}"}
    data = output.get("data", {})
    return {**{kind: data[kind] for kind in TEXTS if kind in data},
            **{kind: "(a picture)" for kind in PICTURES if data.get(kind)}}


def first_difference(stored: str, fresh: str) -> str:
    """The first line where two texts differ, as ``stored 'a' but now 'b'``."""
    old, new = stored.splitlines(), fresh.splitlines()
    line = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), min(len(old), len(new)))
    at = lambda lines: repr(lines[line]) if line < len(lines) else "nothing"
    return f"line {line + 1}: stored {at(old)} but now {at(new)}"


def output_differences(stored: list, fresh: list) -> list[str]:
    """How the outputs of one cell differ, output by output."""
    if len(stored) != len(fresh):
        return [f"stored {len(stored)} outputs but running it gives {len(fresh)}: "
                f"{[list(shown(o)) for o in stored]} against {[list(shown(o)) for o in fresh]}"]
    found = []
    for old, new in zip(stored, fresh, strict=True):
        old_shown, new_shown = shown(old), shown(new)
        if set(old_shown) != set(new_shown):
            found.append(f"stored {sorted(old_shown)} but running it gives {sorted(new_shown)}")
        else:
            found += [f"{kind} {first_difference(old_shown[kind], new_shown[kind])}" for kind in old_shown
                      if old_shown[kind] != new_shown[kind]]
    return found


def differences(stored, fresh) -> list[str]:
    """Where the stored notebook's outputs are not what running it gives now, one line each (none: current)."""
    found = []
    stored_cells = [cell for cell in stored.cells if cell.cell_type == "code"]
    fresh_cells = [cell for cell in fresh.cells if cell.cell_type == "code"]
    for number, (old, new) in enumerate(zip(stored_cells, fresh_cells, strict=True), start=1):
        where = f"code cell {number} ({old.source.splitlines()[0] if old.source else 'empty'!r})"
        if old.execution_count != number:
            found.append(f"{where}: stored with execution count {old.execution_count}, not {number}: "
                         f"run the whole notebook top to bottom")
        found += [f"{where}: {line}" for line in output_differences(joined(old.outputs), joined(new.outputs))]
        found += [f"{where}: raises {output.ename}: {output.evalue}" for output in new.outputs
                  if output.output_type == "error"]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="notebooks of this folder to run (default: every one)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a stored output is not what running the notebook gives")
    args = parser.parse_args(argv)
    try:
        import nbformat
    except ImportError:
        print('regenerate.py: needs the notebook extra: pip install ".[notebook]"', file=sys.stderr)
        return 2
    paths = [HERE / name for name in args.names] or notebooks()
    missing = [path.name for path in paths if not path.is_file()]
    if missing:
        print(f"regenerate.py: no notebook {', '.join(missing)} in {HERE}", file=sys.stderr)
        return 2
    import nbclient

    stale = 0
    for path in paths:
        try:
            fresh = execute(path)
        except nbclient.exceptions.CellExecutionError as error:
            stale += 1
            print(f"{path.name}: a cell raises {error.ename}: {error.evalue}")
            continue
        if args.check:
            found = differences(nbformat.read(path, as_version=4), fresh)
            stale += bool(found)
            print(f"{path.name}: {'stale' if found else 'current'}")
            for line in found:
                print(f"  {line}")
        else:
            nbformat.write(fresh, path)
            print(f"{path.name}: outputs written")
    if stale and args.check:
        print(f"{stale} notebook(s) stale: run python docs/notebooks/regenerate.py and commit the result")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
