"""The examples the checks draw (hypothesis strategies), shared by the checks of every part.

The grader draws an example here, sends it to the child as data and computes
the reference on it itself. Numbers stay away from kinks and poles (relu off
0, log and powers of positive numbers, divisors off 0), and the gradient that
backward starts from is never 0, so that a shrunk counterexample still tells
a right backward from a wrong one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ..grad_mode import no_grad
from ..value import Value
from .examples import BINARY, OPERATIONS, UNARY, Graph, Run, text

__all__ = ["Case", "Example", "arrays", "floats", "graphs", "logits", "off_zero", "runs"]


def floats(low: float, high: float) -> st.SearchStrategy:
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


def off_zero(low: float, high: float) -> st.SearchStrategy:
    """Numbers with low ≤ |x| ≤ high, of either sign."""
    return st.tuples(st.sampled_from((1.0, -1.0)), floats(low, high)).map(lambda pair: pair[0] * pair[1])


def arrays(shape: tuple, elements: st.SearchStrategy) -> st.SearchStrategy:
    return hnp.arrays(np.float64, shape, elements=elements)


UPSTREAM = off_zero(0.25, 2)  # the gradient from above: never 0, which would hide any backward


@dataclass
class Example:
    """Inputs (named), the operation's settings, and the gradient from above, dL/dout."""

    names: tuple[str, ...]
    inputs: tuple[np.ndarray, ...]
    settings: dict
    seed: np.ndarray

    def __str__(self) -> str:
        parts = [f"{name} = {text(array)}" for name, array in zip(self.names, self.inputs, strict=True)]
        parts += [f"{key} = {text(value) if isinstance(value, np.ndarray) else repr(value)}"
                  for key, value in self.settings.items()]
        return ", ".join(parts + [f"gradient from above dL/dout = {text(self.seed)}"])


@dataclass
class Case:
    """How to draw one operation's examples: input names, shape choices (simplest first), elements."""

    operation: str  # a key of examples.OPERATIONS, or a student function's name (built by the caller)
    names: tuple[str, ...]
    shapes: tuple
    elements: tuple
    settings: Any = st.just({})  # a strategy, or a function of the shapes returning one

    def examples(self, output_shape=None) -> st.SearchStrategy:
        @st.composite
        def draw_example(draw):
            shapes = draw(st.sampled_from(self.shapes))
            inputs = tuple(draw(arrays(shape, elements)) for shape, elements in zip(shapes, self.elements,
                                                                                      strict=True))
            settings = draw(self.settings(shapes) if callable(self.settings) else self.settings)
            shape = output_shape(inputs, settings) if output_shape else self.output_shape(inputs, settings)
            return Example(self.names, inputs, settings, draw(arrays(shape, UPSTREAM)))
        return draw_example()

    def output_shape(self, inputs: tuple, settings: dict) -> tuple:
        with no_grad():
            return OPERATIONS[self.operation]([Value(a) for a in inputs], settings).shape


# ---------------------------------------------------------------- Part 2

@st.composite
def graphs(draw) -> Graph:
    """A few leaves (the last requires grad and starts the chain, so L depends on it), 1–5 steps."""
    count = draw(st.integers(1, 3))
    leaves = [(draw(arrays((2,), floats(-2, 2))), i == count - 1 or draw(st.booleans())) for i in range(count)]
    steps = []
    for number in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from((*BINARY, *UNARY)))
        steps.append((kind, draw(st.integers(0, count + number - 1))))
    return Graph(leaves, steps, np.array(draw(off_zero(0.5, 2))))


# ---------------------------------------------------------------- Part 3

@st.composite
def logits(draw, shape: tuple) -> np.ndarray:
    """Logits, all shifted by 0 or by a few hundred to a thousand (either sign)."""
    shift = draw(st.sampled_from((0.0, 1000.0, -1000.0, 300.0)))
    return draw(arrays(shape, floats(-5, 5))) + shift


# ---------------------------------------------------------------- Part 4

def runs(rule: str) -> st.SearchStrategy:
    @st.composite
    def draw_run(draw) -> Run:
        shape = (draw(st.integers(1, 3)),)
        return Run(rule, draw(arrays(shape, floats(-2, 2))), draw(arrays(shape, floats(0.5, 3))),
                   draw(arrays(shape, floats(-1, 1))), draw(floats(0.01, 0.3)), draw(floats(0.1, 0.95)))
    return draw_run()
