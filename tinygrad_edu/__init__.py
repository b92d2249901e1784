"""tinygrad_edu: an automatic-differentiation engine to read end to end.

Reading order: ``ops.py`` (every operation and its derivative), ``value.py``
(the Value class that records the graph), ``autograd.py`` (backward: the chain
rule in reverse topological order), then ``nn/`` and ``optim.py``.
"""

from . import interop, nn, optim
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .backward_page import write_backward_page
from .backward_trace import TraceStep, print_trace, trace_backward
from .creation import arange, argmax, generator, manual_seed, ones, rand, randn, zeros
from .finite_differences import DerivativeMismatch, GradcheckError, check_derivative, gradcheck
from .graph import draw_graph
from .model_summary import SummaryResult, summary
from .serialization import load, save
from .value import Value, tensor

__version__ = "0.1.0"

__all__ = [
    "Value", "tensor", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
    "zeros", "ones", "rand", "randn", "arange", "argmax", "manual_seed", "generator",
    "gradcheck", "GradcheckError", "check_derivative", "DerivativeMismatch",
    "nn", "optim", "summary", "SummaryResult", "save", "load",
    "draw_graph", "trace_backward", "print_trace", "TraceStep", "write_backward_page", "interop",
    "__version__",
]
