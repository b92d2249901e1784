"""The notebooks in docs/notebooks/ run top to bottom, and are stored without outputs.

Executing them needs the ``notebook`` extra (nbclient, ipykernel, nbformat:
``pip install ".[notebook]"``); without it these tests skip and say so. The
kernel inherits this process's environment, so it imports the same tinygrad_edu.
"""

import importlib.util
import shutil

import pytest
from support import NO_DOT, ROOT

NOTEBOOKS = sorted((ROOT / "docs" / "notebooks").glob("*.ipynb"))
MISSING = [name for name in ("nbclient", "nbformat", "ipykernel") if importlib.util.find_spec(name) is None]
needs_notebook_extra = pytest.mark.skipif(
    bool(MISSING), reason=f"running notebooks needs {', '.join(MISSING)}: pip install \".[notebook]\"")
# What each notebook draws with, beyond the package itself.
NEEDS = {"part1_multilayer_perceptron.ipynb": "dot", "part2_momentum.ipynb": "matplotlib",
         "part3_nesterov.ipynb": "matplotlib", "exercises.ipynb": "hypothesis"}


def test_there_is_a_notebook_per_part_of_the_lecture_and_one_for_the_exercises():
    assert [path.name for path in NOTEBOOKS] == sorted(NEEDS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_the_notebook_is_stored_without_outputs(path):
    nbformat = pytest.importorskip("nbformat", reason='reading notebooks needs nbformat: pip install ".[notebook]"')
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: clear the outputs"


@needs_notebook_extra
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_the_notebook_runs_top_to_bottom(path, tmp_path):
    need = NEEDS[path.name]
    if need == "dot" and shutil.which("dot") is None:
        pytest.skip(NO_DOT)
    if need != "dot":
        pytest.importorskip(need, reason=f'this notebook needs {need}: pip install ".[plot]" / ".[course]"')
    import nbclient
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    # Files the notebook writes (the backward page, pictures) go to tmp_path, not into docs/.
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
              if output.output_type == "error"]
    assert errors == []
    assert all(cell.execution_count for cell in notebook.cells if cell.cell_type == "code")
