"""The unclear errors of issue 23: each bad argument to ``nn.Linear``, ``trace_backward`` and
``draw_graph`` is a TypeError (wrong type) or ValueError (wrong value) that names the function,
the argument and what was expected; nothing is drawn or built."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn


def loss():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    return (x * x).sum()


ROWS = {
    "Linear('a', 2)": (lambda: nn.Linear("a", 2), TypeError,
                       r"^Linear: in_features must be an int \(a number of features\), got 'a'$"),
    "Linear(2.0, 3)": (lambda: nn.Linear(2.0, 3), TypeError, r"^Linear: in_features must be an int.*got 2\.0$"),
    "Linear(2, None)": (lambda: nn.Linear(2, None), TypeError, r"^Linear: out_features must be an int.*got None$"),
    "Linear(2, -1)": (lambda: nn.Linear(2, -1), ValueError, r"^Linear: out_features must be ≥ 0.*got -1$"),
    "trace_backward(np.ones(2))": (lambda: tg.trace_backward(np.ones(2)), TypeError,
                                   r"^trace_backward: root must be a tinygrad_edu Value .*got ndarray$"),
    "trace_backward(grad of another shape)": (lambda: tg.trace_backward(loss(), np.ones(3)), ValueError,
                                              r"^trace_backward: grad must have root's shape \(\), got \(3,\)$"),
    "max_elements=-1": (lambda: tg.draw_graph(loss(), max_elements=-1), ValueError,
                        r"^draw_graph: max_elements must be a non-negative int \(arrays of up to this many "
                        r"elements are printed whole\), got -1$"),
    "max_elements=2.5": (lambda: tg.draw_graph(loss(), max_elements=2.5), TypeError,
                         r"^draw_graph: max_elements must be a non-negative int .*got 2\.5$"),
    "max_elements=True": (lambda: tg.draw_graph(loss(), max_elements=True), TypeError,
                          r"^draw_graph: max_elements must be a non-negative int .*got True$"),
    "precision=-1": (lambda: tg.draw_graph(loss(), precision=-1), ValueError,
                     r"^draw_graph: precision must be a non-negative int \(digits after the decimal point\), "
                     r"got -1$"),
    "precision='4'": (lambda: tg.draw_graph(loss(), precision="4"), TypeError,
                      r"^draw_graph: precision must be a non-negative int .*got '4'$"),
    "ranksep='…'": (lambda: tg.draw_graph(loss(), ranksep="…"), TypeError,
                    r"^draw_graph: ranksep must be a positive, finite number of inches, or None for "
                    r"Graphviz's 0\.5, got '…'$"),
    "ranksep=inf": (lambda: tg.draw_graph(loss(), ranksep=math.inf), ValueError,
                    r"^draw_graph: ranksep must be a positive, finite number.*got inf$"),
    "ranksep=nan": (lambda: tg.draw_graph(loss(), ranksep=math.nan), ValueError, r"^draw_graph: ranksep .*got nan$"),
    "ranksep=0": (lambda: tg.draw_graph(loss(), ranksep=0), ValueError, r"^draw_graph: ranksep .*got 0$"),
    "ranksep=-0.5": (lambda: tg.draw_graph(loss(), ranksep=-0.5), ValueError, r"^draw_graph: ranksep .*got -0\.5$"),
}


@pytest.mark.parametrize("call, error, message", ROWS.values(), ids=ROWS.keys())
def test_a_bad_argument_is_a_clear_error_naming_it(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_good_arguments_of_every_numeric_kind_still_draw():
    graph = tg.draw_graph(loss(), max_elements=np.int64(0), precision=np.int32(2), ranksep=np.float32(0.25))
    assert 'ranksep="0.25"' in graph.source or "ranksep=0.25" in graph.source
    assert "shape (2,)" in graph.source  # max_elements 0: every array summarised
    assert nn.Linear(np.int64(3), 0).weight.shape == (0, 3)


@pytest.mark.filterwarnings("ignore:Initializing zero-element tensors is a no-op")
def test_linear_accepts_and_refuses_the_sizes_torch_does():
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle here: pip install '.[oracle]'")
    for sizes in [(0, 2), (2, 0), (True, 2), (np.int64(3), 2), ("a", 2), (2.0, 3), (2, -1), (None, 2)]:
        try:
            torch.nn.Linear(*sizes)
            torch_accepts = True
        except (TypeError, RuntimeError, ValueError):
            torch_accepts = False
        try:
            nn.Linear(*sizes)
            ours_accepts = True
        except (TypeError, ValueError):
            ours_accepts = False
        assert ours_accepts == torch_accepts, sizes
