"""Loss functions as modules: ``loss_fn = nn.BCELoss(); loss = loss_fn(y_hat, y)``.

Each one stores ``reduction`` and calls the function of the same meaning in
``functional.py``, where the math is (the argument checks are in ``loss_arguments.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..value import Value
from . import functional as F
from .loss_arguments import check_reduction
from .module import Module


class _Loss(Module):
    """A loss with PyTorch's ``reduction``: 'mean' (the default), 'sum' or 'none'."""

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        check_reduction(type(self).__name__, reduction)
        self.reduction = reduction

    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities: −(y ln ŷ + (1 − y) ln(1 − ŷ)), ln clamped at −100."""

    def forward(self, input: Value, target: Any) -> Value:
        return F.binary_cross_entropy(input, target, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of σ(x), computed stably from the logits x."""

    def forward(self, input: Value, target: Any) -> Value:
        return F.binary_cross_entropy_with_logits(input, target, self.reduction)


class _WeightedLoss(_Loss):
    """A classification loss with PyTorch's optional per-class ``weight`` and ``ignore_index``."""

    def __init__(self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean"):
        super().__init__(reduction)
        self.weight = None if weight is None else np.array(weight.data if isinstance(weight, Value) else weight)
        self.ignore_index = ignore_index


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy of logits against class indices or class probabilities: nll_loss(log_softmax(x))."""

    def forward(self, input: Value, target: Any) -> Value:
        return F.cross_entropy(input, target, self.weight, self.ignore_index, self.reduction)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of log-probabilities (the output of LogSoftmax) against class indices."""

    def forward(self, input: Value, target: Any) -> Value:
        return F.nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


class MSELoss(_Loss):
    """Mean squared error (x − y)²."""

    def forward(self, input: Value, target: Any) -> Value:
        return F.mse_loss(input, target, self.reduction)
