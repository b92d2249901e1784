"""Reverse-mode automatic differentiation, as ``torch.autograd``: its names, gathered from its modules.

- ``reverse_mode.py``: the walk from the output back to the leaves (``backpropagate``, the
  textbook version; ``backward``, what a plain ``Value.backward()`` runs), read first;
- ``gradients.py``: ``grad`` and ``backward(create_graph=True)``, gradients that are Values
  with a graph of their own, so that they can be differentiated again;
- ``functional.py``: Jacobians, Hessians and their products with vectors (``jacobian``,
  ``hessian``, ``vjp``, ``jvp``, ``hvp``, ``vhp``), as ``torch.autograd.functional``;
- grad mode (``no_grad``) lives in ``grad_mode.py``.

``Value.backward`` looks ``autograd.backward`` up here when it is called, so that the course
can put a student's walk in its place.

``gradients`` and ``functional`` import ``value``, which imports this package (for
``autograd.backward``, at call time): ``tinygrad_edu/__init__.py`` imports this package before
anything imports ``value``, so that ``value`` is imported from here, complete when it is used.
"""

from ..grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from . import functional
from .gradients import accumulate_grads, grad
from .reverse_mode import (
    backpropagate,
    backward,
    backward_steps,
    chain_rule,
    check_versions,
    node_ids,
    on_values,
    topological_order,
)

__all__ = [
    "backpropagate", "backward", "backward_steps", "chain_rule", "check_versions", "node_ids", "on_values",
    "topological_order", "grad", "accumulate_grads", "functional",
    "enable_grad", "is_grad_enabled", "no_grad", "set_grad_enabled",
]
