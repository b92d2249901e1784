"""docs/api.md cannot drift: every public name is listed, and every listed name exists."""

import importlib
import re
from pathlib import Path

import pytest
from support import public_names

import tinygrad_edu
from tinygrad_edu import Value, nn, optim

DOC = Path(__file__).resolve().parent.parent / "docs" / "api.md"
ROW = re.compile(r"^\| `([\w.]+)` \| (.+) \|$", re.MULTILINE)
MODULES = ["tinygrad_edu", "tinygrad_edu.autograd", "tinygrad_edu.autograd.functional",
           "tinygrad_edu.nn", "tinygrad_edu.nn.functional", "tinygrad_edu.nn.init",
           "tinygrad_edu.optim", "tinygrad_edu.datasets", "tinygrad_edu.viz.plot", "tinygrad_edu.viz.render",
           "tinygrad_edu.interop",
           "tinygrad_edu.lecture.mlp", "tinygrad_edu.lecture.descent", "tinygrad_edu.lecture.regression",
           "tinygrad_edu.lecture.iris", "tinygrad_edu.lecture.expected", "tinygrad_edu.lecture.computed",
           "tinygrad_edu.lecture.tour", "tinygrad_edu.lecture.progress", "tinygrad_edu.lecture.surfaces",
           "tinygrad_edu.lecture.your_turn"]
CLASSES = {"Value": Value, "Module": nn.Module, "Optimizer": optim.Optimizer}


def listed() -> dict:
    """Name → one-line description, from the reference's tables."""
    return dict(ROW.findall(DOC.read_text(encoding="utf-8")))


@pytest.mark.parametrize("module_name", MODULES)
def test_every_public_name_of_the_module_is_listed(module_name):
    module = importlib.import_module(module_name)
    missing = [name for name in public_names(module) if f"{module_name}.{name}" not in listed()]
    assert missing == [], f"add these to {DOC.name}"


@pytest.mark.parametrize("class_name", CLASSES)
def test_every_public_attribute_of_the_core_classes_is_listed(class_name):
    attributes = [name for name in dir(CLASSES[class_name]) if not name.startswith("_")]
    missing = [name for name in attributes if f"{class_name}.{name}" not in listed()]
    assert missing == [], f"add these to {DOC.name}"


def resolve(path: str):
    """The object at a dotted path (``tinygrad_edu.nn.Linear``, ``Value.backward``)."""
    head, *rest = path.split(".")
    obj = CLASSES[head] if head in CLASSES else importlib.import_module(head)
    for part in rest:
        try:
            obj = getattr(obj, part)
        except AttributeError:
            obj = importlib.import_module(f"{obj.__name__}.{part}")
    return obj


def test_every_listed_name_exists():
    pytest.importorskip("matplotlib", reason="tinygrad_edu.viz.plot needs matplotlib (pip install '.[plot]')")
    for name in listed():
        resolve(name)
    assert len(listed()) > 150


def test_every_listed_name_has_a_description():
    assert all(len(description.strip()) > 3 for description in listed().values())


def test_the_reference_covers_the_packages_all():
    assert {f"tinygrad_edu.{name}" for name in tinygrad_edu.__all__} <= set(listed())
