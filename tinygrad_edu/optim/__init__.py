"""Optimizers: the lecture's update rules, and PyTorch's SGD, Adagrad, RMSprop, Adam and AdamW.

An optimizer holds parameters (leaf Values) and, after ``loss.backward()``, moves each one
against its gradient ``p.grad``. It sees only Values and their ``.grad`` arrays, so a gradient
set by hand (``p.grad = 4*x**3 + ...``) drives it exactly as one from autograd does.

Read in this order: ``momentum.py``, the slides' ``GD``, ``Momentum`` and ``Nesterov``;
``sgd.py``, PyTorch's ``SGD``, which is each of them with the right options; ``adaptive.py``,
``Adagrad``, ``RMSprop``, ``Adam`` and ``AdamW``. ``optimizer.py`` is what they share, the base
class ``Optimizer``: parameter groups, per-parameter state, ``zero_grad``, an all-or-nothing
``step`` and state dicts in PyTorch's layout, checked before anything changes.

Every class is an attribute of this module (``tinygrad_edu.optim.GD``), which is where code
looks them up: the course swaps a student's version in here.
"""

from .adaptive import Adagrad, Adam, AdamW, RMSprop
from .momentum import GD, Momentum, Nesterov
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Optimizer", "GD", "Momentum", "Nesterov", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW"]
