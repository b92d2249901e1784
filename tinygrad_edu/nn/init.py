"""Fill parameters in place, as ``torch.nn.init`` does.

Each function changes the parameter's numbers, not the parameter object, so a
model (and an optimizer holding its parameters) sees the new values. They run
without building a graph: setting a value is not a computation to differentiate.
"""

from __future__ import annotations

import numpy as np

from ..autograd import no_grad
from ..creation import generator
from ..value import Value


@no_grad()
def constant_(parameter: Value, value: float) -> Value:
    """Set every element to ``value``: the slide's "every weight and bias is 0.1"."""
    parameter.data[...] = value
    return parameter


def zeros_(parameter: Value) -> Value:
    """Set every element to 0."""
    return constant_(parameter, 0.0)


@no_grad()
def uniform_(parameter: Value, a: float = 0.0, b: float = 1.0) -> Value:
    """Draw every element from the uniform distribution on [a, b), with the package's generator
    (so ``tinygrad_edu.manual_seed`` makes it repeatable)."""
    parameter.data[...] = generator().uniform(a, b, size=parameter.shape)
    return parameter


def linear_bound(in_features: int) -> float:
    """PyTorch's bound for ``Linear``: weights and biases start uniform on ±1/√in_features.

    (``kaiming_uniform_(a=√5)`` gives gain √(1/3) and bound gain·√(3/fan_in) = 1/√fan_in.)
    """
    return 1.0 / np.sqrt(in_features) if in_features > 0 else 0.0
