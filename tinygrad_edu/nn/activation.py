"""Activation functions as modules, for ``Sequential``: σ, ReLU and tanh.

Their derivatives live with the operations in ``ops.py``; these modules only
give them a place in a model (and in ``summary``), with no parameters.
"""

from __future__ import annotations

from ..value import Value
from .module import Module


class Sigmoid(Module):
    """σ(x) = 1 / (1 + e⁻ˣ), elementwise: squashes any number into (0, 1)."""

    def forward(self, x: Value) -> Value:
        return x.sigmoid()


class ReLU(Module):
    """ReLU(x) = max(x, 0), elementwise."""

    def forward(self, x: Value) -> Value:
        return x.relu()


class Tanh(Module):
    """tanh(x) = (eˣ − e⁻ˣ) / (eˣ + e⁻ˣ), elementwise: squashes into (−1, 1)."""

    def forward(self, x: Value) -> Value:
        return x.tanh()
