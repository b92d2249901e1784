"""docs/moving_to_pytorch.md cannot drift: every public name is mapped, every torch name exists,
and its example runs."""

import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest
from support import public_names

import tinygrad_edu
from tinygrad_edu import nn, optim

DOC = Path(__file__).resolve().parent.parent / "docs" / "moving_to_pytorch.md"
ROW = re.compile(r"^\| `(tinygrad_edu[\w.]*)` \| (.*?) \|", re.MULTILINE)


def mapped_names() -> dict:
    """First column → second column of the doc's tables."""
    return dict(ROW.findall(DOC.read_text(encoding="utf-8")))


@pytest.mark.parametrize("module", [tinygrad_edu, nn, optim], ids=lambda module: module.__name__)
def test_every_public_name_is_mapped(module):
    missing = [name for name in public_names(module) if f"{module.__name__}.{name}" not in mapped_names()]
    assert missing == [], f"add rows for these to {DOC.name}"


def test_optim_has_public_names_to_map():
    assert {"Optimizer", "SGD"} <= set(public_names(optim))


def resolve(path: str):
    """The object at a dotted path, importing the longest module prefix (torch.autograd.gradcheck is a module)."""
    parts = path.split(".")
    for length in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:length]))
        except ImportError:
            continue
        for part in parts[length:]:
            obj = getattr(obj, part)
        return obj
    raise ImportError(path)


def test_every_torch_name_in_the_doc_exists():
    pytest.importorskip("torch", reason="PyTorch is not installed (pip install '.[oracle]')")
    pytest.importorskip("torchsummary", reason="torchsummary is not installed (pip install '.[oracle]')")
    # torch's names and torchsummary's (installed with torch by the oracle extra); torchviz is only mentioned.
    cells = [re.fullmatch(r"`((?:torch|torchsummary)\.[\w.]+)`", cell) for cell in mapped_names().values()]
    theirs = [match.group(1) for match in cells if match]
    assert len(theirs) > 30
    for path in theirs:
        assert resolve(path) is not None, path


def test_the_example_runs(tmp_path):
    pytest.importorskip("torch", reason="PyTorch is not installed (pip install '.[oracle]')")
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    example = max(blocks, key=len)
    result = subprocess.run([sys.executable, "-c", example], cwd=tmp_path, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    accuracies = re.findall(r"test accuracy: ([\d.]+)", result.stdout)
    assert len(accuracies) == 2 and accuracies[0] == accuracies[1] and float(accuracies[0]) > 0.8


def test_the_loss_options_example_prints_what_its_comments_say(tmp_path):
    pytest.importorskip("torch", reason="PyTorch is not installed (pip install '.[oracle]')")
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    [example] = [block for block in blocks if "to_torch(loss_fn)" in block]
    result = subprocess.run([sys.executable, "-c", example], cwd=tmp_path, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    promised = [line.split("  # ")[1] for line in example.splitlines() if line.startswith("print(")]
    assert result.stdout.splitlines() == promised
