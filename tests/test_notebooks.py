"""The notebooks of docs/notebooks/: stored with their outputs, and those outputs current; every part
with "your turn" cells whose checks wait for an answer, accept a right one and reject a wrong one; the
exercises notebook showing no solution.

Every notebook of the folder is covered (a new part is picked up by name); running them needs the
``notebook`` extra (``pip install ".[notebook]"``), and without it those tests skip and say so. The
kernel inherits this process's environment, so it imports the same tinygrad_edu.
``python docs/notebooks/regenerate.py`` rewrites the stored outputs after a deliberate change.
"""

import base64
import copy
import importlib.util
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from importlib import resources

import pytest
from support import ROOT

FOLDER = ROOT / "docs" / "notebooks"
NOTEBOOKS = sorted(FOLDER.glob("*.ipynb"))
PARTS = [path for path in NOTEBOOKS if path.name.startswith("part")]
MISSING = [name for name in ("nbclient", "nbformat", "ipykernel", "matplotlib", "hypothesis")
           if importlib.util.find_spec(name) is None]
INSTALL = 'pip install ".[notebook]"'
needs_notebook_extra = pytest.mark.skipif(bool(MISSING), reason=f"running the notebooks needs "
                                                                f"{', '.join(MISSING)}: {INSTALL}")
nbformat = pytest.importorskip("nbformat", reason=f"reading notebooks needs nbformat: {INSTALL}")

spec = importlib.util.spec_from_file_location("regenerate", FOLDER / "regenerate.py")
regenerate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(regenerate)

# For each "your turn" cell: a right answer and a wrong one. A new notebook's cells need theirs here.
ANSWERS = {
    "part1-your-turn-top-of-graph": (
        "y_hat_value, y_value = y_hat.item(), y.item()\n"
        "dL_dy_hat = -y_value / y_hat_value + (1 - y_value) / (1 - y_hat_value)\n"
        "dL_dz = dL_dy_hat * y_hat_value * (1 - y_hat_value)",
        "y_hat_value, y_value = y_hat.item(), y.item()\n"
        "dL_dy_hat = 1 / y_hat_value\ndL_dz = dL_dy_hat * y_hat_value"),
    "part1-your-turn-last-layer": ("dL_db1 = z.grad\ndL_dW1 = z.grad * h.data", "dL_db1 = 2 * z.grad\ndL_dW1 = h.data"),
    "part1-your-turn-new-loss": ("new_loss = nn.BCELoss()(model(x), y)", "new_loss = L"),
    "part2-your-turn-zigzag": ("zigzag_lr = 0.75", "zigzag_lr = 0.3"),
    "part2-your-turn-pytorch-momentum": (
        "x, b = -2.0, 0.0\npytorch_xs = []\nfor _ in range(20):\n"
        "    b = gamma * b + slide_derivative(x)\n    x = x - lr * b\n    pytorch_xs.append(x)",
        "x, b = -2.0, 0.0\npytorch_xs = []\nfor _ in range(20):\n"
        "    b = gamma * b + slide_derivative(x)\n    x = x - lr * gamma * b\n    pytorch_xs.append(x)"),
    "part3-your-turn-pytorch-nesterov": (
        "x, b = -2.0, 0.0\npytorch_xs = []\nfor _ in range(20):\n    g = slide_derivative(x)\n"
        "    b = gamma * b + g\n    x = x - lr * (g + gamma * b)\n    pytorch_xs.append(x)",
        "x, b = -2.0, 0.0\npytorch_xs = []\nfor _ in range(20):\n    g = slide_derivative(x)\n"
        "    b = gamma * b + g\n    x = x - lr * b\n    pytorch_xs.append(x)"),
    "part3-your-turn-tame": ("tamed_lr = 0.05", "tamed_lr = 0.09"),
}
PICTURES = {"image/png": lambda data: base64.b64decode(data).startswith(b"\x89PNG\r\n\x1a\n"),
            "image/svg+xml": lambda data: ET.fromstring(data.encode("utf-8")).tag == "{http://www.w3.org/2000/svg}svg"}


def read(path):
    return nbformat.read(path, as_version=4)


def code_cells(notebook) -> list:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def tagged(notebook, tag: str) -> list:
    return [cell for cell in notebook.cells if tag in cell.metadata.get("tags", [])]


def printed(cell) -> str:
    return "".join(output.text for output in cell.outputs if output.output_type == "stream")


_runs = {}


def fresh_run(path):
    """The notebook at ``path`` as running it now gives it (once per test session)."""
    if path not in _runs:
        _runs[path] = regenerate.execute(path)
    return _runs[path]


def test_there_is_a_notebook_per_part_of_the_lecture_and_one_for_the_exercises():
    names = {path.name for path in NOTEBOOKS}
    assert {"part1_multilayer_perceptron.ipynb", "part2_momentum.ipynb", "part3_nesterov.ipynb",
            "exercises.ipynb"} <= names
    assert all(re.fullmatch(r"part\d+_\w+\.ipynb|exercises\.ipynb", name) for name in names)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_the_notebook_is_stored_run_top_to_bottom_with_its_outputs(path):
    notebook = read(path)
    nbformat.validate(notebook)
    cells = code_cells(notebook)
    assert [cell.execution_count for cell in cells] == list(range(1, len(cells) + 1)), "run it top to bottom"
    outputs = [output for cell in cells for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    assert sum(bool(cell.outputs) for cell in cells) >= len(cells) // 2  # numbers to read without running it
    for output in outputs:
        for kind, valid in PICTURES.items():
            if kind in output.get("data", {}):
                assert valid(output.data[kind]), f"{path.name}: a broken {kind} picture"


@pytest.mark.parametrize("path", PARTS, ids=lambda path: path.name)
def test_every_part_draws_pictures(path):
    kinds = [kind for cell in code_cells(read(path)) for output in cell.outputs for kind in output.get("data", {})
             if kind in PICTURES]
    assert kinds, f"{path.name} stores no picture"


def test_part1_draws_the_projector_graph_with_the_slides_names():
    [graph] = [output.data["image/svg+xml"] for cell in code_cells(read(FOLDER / "part1_multilayer_perceptron.ipynb"))
               for output in cell.outputs if "image/svg+xml" in output.get("data", {})]
    svg = ET.fromstring(graph.encode("utf-8"))
    texts = {text.text for text in svg.iter("{http://www.w3.org/2000/svg}text")}
    assert {"x", "h", "z", "ŷ", "y", "L", "legend", "transposed"} <= texts
    assert not any(re.fullmatch(r"v\d+", text or "") for text in texts)
    width, height = (float(svg.get(side).removesuffix("pt")) for side in ("width", "height"))
    assert width < height * 2  # top to bottom, not a strip


@needs_notebook_extra
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_the_stored_outputs_are_what_running_the_notebook_gives(path):
    assert regenerate.differences(read(path), fresh_run(path)) == []


@needs_notebook_extra
def test_a_stale_number_and_a_missing_picture_are_both_found():
    path = FOLDER / "part2_momentum.ipynb"
    stored, fresh = read(path), fresh_run(path)
    stream = next(output for cell in code_cells(stored) for output in cell.outputs if output.output_type == "stream")
    stream.text = stream.text.replace("2.56000", "2.56001", 1)
    picture = next(cell for cell in code_cells(stored) if any("image/png" in o.get("data", {}) for o in cell.outputs))
    picture.outputs = []
    found = regenerate.differences(stored, fresh)
    assert len(found) == 2, found
    assert "line 1: stored 'Epoch: 00 -- f(-1.600) = 2.56001' but now 'Epoch: 00 -- f(-1.600) = 2.56000'" in found[0]
    assert "stored 0 outputs but running it gives 1" in found[1] and "image/png" in found[1]


@needs_notebook_extra
def test_regenerate_check_exits_1_on_a_stale_notebook_and_0_on_a_current_one(tmp_path):
    stale = read(FOLDER / "part3_nesterov.ipynb")
    cell = next(cell for cell in code_cells(stale) if "Epoch: 19" in printed(cell))
    for output in cell.outputs:
        if output.output_type == "stream":
            output.text = output.text.replace("0.21723", "0.21724")
    nbformat.write(stale, tmp_path / "part3_nesterov.ipynb")
    script = str(FOLDER / "regenerate.py")
    result = subprocess.run([sys.executable, script, "--check", str(tmp_path / "part3_nesterov.ipynb")],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "part3_nesterov.ipynb: stale" in result.stdout and "0.21724" in result.stdout
    result = subprocess.run([sys.executable, script, "--check", "exercises.ipynb"], capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0 and result.stdout.startswith("exercises.ipynb: current"), result.stdout
    result = subprocess.run([sys.executable, script, "no_such.ipynb"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "no notebook no_such.ipynb" in result.stderr


@pytest.mark.parametrize("path", PARTS, ids=lambda path: path.name)
def test_every_part_has_your_turn_cells_each_with_a_check_that_waits_for_an_answer(path):
    notebook = read(path)
    turns = tagged(notebook, "your-turn")
    assert turns, f"{path.name} has no 'your turn' cell"
    cells = code_cells(notebook)
    for turn in turns:
        assert turn.id in ANSWERS, f"{turn.id}: add a right and a wrong answer to ANSWERS"
        assert "..." in turn.source and not turn.outputs
        check = cells[cells.index(turn) + 1]
        assert "check" in check.metadata.get("tags", []), f"{turn.id}: no check cell right after it"
        assert printed(check).startswith("Your turn: "), f"{check.id} does not say it waits for an answer"


def answered(path):
    """The notebook run with every 'your turn' cell given its right answer, each check followed by a copy
    of the cell with the wrong answer and a copy of the check: (right checks, wrong checks) as run."""
    notebook = read(path)
    cells, right, wrong = [], [], []
    for cell in notebook.cells:
        cells.append(cell)
        if "your-turn" in cell.metadata.get("tags", []):
            turn = cell
            turn.source = ANSWERS[turn.id][0]
        elif "check" in cell.metadata.get("tags", []):
            right.append(cell)
            wrong_turn, wrong_check = copy.deepcopy(turn), copy.deepcopy(cell)
            wrong_turn.source, wrong_turn.id, wrong_check.id = ANSWERS[turn.id][1], f"{turn.id}-w", f"{cell.id}-w"
            cells += [wrong_turn, wrong_check]
            wrong.append(wrong_check)
    notebook.cells = cells
    regenerate.execute(notebook)
    return right, wrong


@needs_notebook_extra
@pytest.mark.parametrize("path", PARTS, ids=lambda path: path.name)
def test_the_checks_accept_right_answers_and_reject_wrong_ones(path):
    for checks, mark in zip(answered(path), ("✓", "✗"), strict=True):
        for check in checks:
            lines = [line for line in printed(check).splitlines() if line[:2] in ("✓ ", "✗ ", "Yo")]
            assert lines and all(line.startswith(mark) for line in lines), (check.id, printed(check))


def solution_lines() -> set[str]:
    """Every line of the exercises' solutions long enough to give something away."""
    lines = set()
    for template in resources.files("tinygrad_edu.course").joinpath("templates").iterdir():
        if template.name.endswith(".py.txt"):
            text = template.read_text(encoding="utf-8")
            for block in re.findall(r"# BEGIN SOLUTION\n(.*?)# END SOLUTION", text, flags=re.S):
                lines.update(line.strip() for line in block.splitlines() if len(line.strip()) >= 12)
    return lines


def test_the_exercises_notebook_shows_no_solution():
    notebook = read(FOLDER / "exercises.ipynb")
    shown = "\n".join([cell.source for cell in notebook.cells] + [printed(cell) for cell in code_cells(notebook)])
    lines = solution_lines()
    assert len(lines) > 40
    assert [line for line in lines if line in shown] == []
    assert "--solutions" not in shown


@needs_notebook_extra
def test_the_exercises_notebook_grades_a_solved_task_1_6_as_passed(tmp_path):
    from tinygrad_edu.cli import main

    assert main(["exercises", "start", str(tmp_path / "my_exercises"), "--solutions"]) == 0
    [check] = tagged(regenerate.execute(FOLDER / "exercises.ipynb", tmp_path), "check")
    assert "Task 1.6 Sigmoid.backward: passed" in printed(check)
    assert "Task 1.6 Sigmoid.backward: not started" in printed(tagged(read(FOLDER / "exercises.ipynb"), "check")[0])
