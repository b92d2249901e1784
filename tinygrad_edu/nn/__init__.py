"""Neural-network building blocks, named as in ``torch.nn``.

Reading order: ``parameter.py`` and ``module.py`` (how a model holds its
parameters), ``linear.py``, ``container.py`` and ``activation.py`` (the
layers), ``functional.py``, ``loss_arguments.py`` and ``loss.py`` (the losses), ``init.py``; ``summary.py``
prints a model's layers as torchsummary does.
"""

from . import functional, init
from .activation import ReLU, Sigmoid, Tanh
from .container import Sequential
from .linear import Linear
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from .module import Module
from .parameter import Parameter
from .state_printing import format_state_dict
from .summary import SummaryResult, summary

__all__ = [
    "Module", "Parameter", "Linear", "Sequential", "Sigmoid", "ReLU", "Tanh",
    "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "MSELoss", "NLLLoss",
    "functional", "init", "format_state_dict", "summary", "SummaryResult",
]
