"""Reverse-mode automatic differentiation, as ``torch.autograd``: its names, gathered from its modules.

- ``reverse_mode.py``: the walk from the output back to the leaves (``backpropagate``, the
  textbook version; ``backward``, what a plain ``Value.backward()`` runs), read first;
- ``gradients.py``: ``grad`` and ``backward(create_graph=True)``, gradients that are Values
  with a graph of their own, so that they can be differentiated again;
- ``functional.py``: Jacobians, Hessians and their products with vectors (``jacobian``,
  ``hessian``, ``vjp``, ``jvp``, ``hvp``, ``vhp``), as ``torch.autograd.functional``;
- grad mode (``no_grad``) lives in ``grad_mode.py``.

``Value.backward`` looks ``autograd.backward`` up here when it is called, so that the course
can put a student's walk in its place; so ``value.py`` imports this package. ``gradients`` and
``functional`` make Values, so they import ``value.py``: their names load on first use (PEP 562
``__getattr__`` below, as the package's root loads the pictures), and imports run one way.
"""

from importlib import import_module
from typing import Any

from ..grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
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

# Names whose modules import value.py, loaded when first used.
_LAZY = {
    "grad": "tinygrad_edu.autograd.gradients",
    "accumulate_grads": "tinygrad_edu.autograd.gradients",
    "functional": None,  # the module itself
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'tinygrad_edu.autograd' has no attribute {name!r}")
    if _LAZY[name] is None:
        return import_module(f"{__name__}.{name}")
    return getattr(import_module(_LAZY[name]), name)


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_LAZY))


__all__ = [
    "backpropagate", "backward", "backward_steps", "chain_rule", "check_versions", "node_ids", "on_values",
    "topological_order", "grad", "accumulate_grads", "functional",
    "enable_grad", "is_grad_enabled", "no_grad", "set_grad_enabled",
]
