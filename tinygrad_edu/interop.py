"""Graduation: move a tinygrad_edu model to PyTorch, and back, without rewriting it.

Every module in ``tinygrad_edu.nn`` has a ``torch.nn`` namesake with the same
constructor arguments and the same parameter names (``0.weight``, ``0.bias``,
…), so a model converts by building the same tree of modules on the other side
and loading the state dict — exactly what a learner would type::

    torch_model.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})

The weights are copied (same numbers, same dtype), not shared. torch is
imported inside the functions only: ``import tinygrad_edu`` never needs it.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

from . import nn

# Modules that differ from their torch namesake only in the library they live in.
PARAMETERLESS = (nn.Sigmoid, nn.ReLU, nn.Tanh)
LOSSES = (nn.BCELoss, nn.BCEWithLogitsLoss, nn.CrossEntropyLoss, nn.NLLLoss, nn.MSELoss)
# Losses that take a class ``weight`` and an ``ignore_index``, on both sides.
WEIGHTED_LOSSES = (nn.CrossEntropyLoss, nn.NLLLoss)
CONVERTIBLE = (nn.Sequential, nn.Linear) + PARAMETERLESS + LOSSES
# torch options that tinygrad_edu's losses do not have, with their defaults: from_torch
# refuses a loss that sets one rather than silently computing another loss.
TORCH_ONLY_OPTIONS = {
    "BCELoss": {"weight": None},
    "BCEWithLogitsLoss": {"weight": None, "pos_weight": None},
    "CrossEntropyLoss": {"label_smoothing": 0.0},
}


def no_equivalent(function: str, library: str, module: Any) -> TypeError:
    names = ", ".join(kind.__name__ for kind in CONVERTIBLE)
    return TypeError(f"{function}: {library} has no equivalent of {type(module).__module__}."
                     f"{type(module).__qualname__}; convertible modules are {names} "
                     f"(exactly these classes, not subclasses of them)")


def torch_module(module: nn.Module) -> Any:
    """The empty ``torch.nn`` module of the same kind and shape as ``module`` (weights not yet copied)."""
    import torch

    kind = type(module)
    if kind is nn.Sequential:
        return torch.nn.Sequential(OrderedDict((name, torch_module(child)) for name, child in module.named_children()))
    if kind is nn.Linear:
        dtype = torch.from_numpy(module.weight.data).dtype
        return torch.nn.Linear(module.in_features, module.out_features, bias=module.bias is not None, dtype=dtype)
    if kind in PARAMETERLESS:
        return getattr(torch.nn, kind.__name__)()
    if kind in LOSSES:
        return getattr(torch.nn, kind.__name__)(**torch_loss_options(module))
    raise no_equivalent("to_torch", "torch.nn", module)


def torch_loss_options(loss: nn.Module) -> dict:
    """The keyword arguments that build ``loss``'s torch namesake: its reduction, and a weighted
    loss's ``ignore_index`` and class ``weight`` (a float tensor of the weight's dtype; integer
    weights become float32, torch's default, since torch wants the logits' floating dtype)."""
    import torch

    options = {"reduction": loss.reduction}
    if type(loss) in WEIGHTED_LOSSES:
        options["ignore_index"] = int(loss.ignore_index)
        if loss.weight is not None:
            weight = loss.weight if loss.weight.dtype.kind == "f" else loss.weight.astype(np.float32)
            options["weight"] = torch.tensor(weight)
    return options


def edu_module(torch_model: Any) -> nn.Module:
    """The tinygrad_edu module of the same kind and shape as ``torch_model`` (weights not yet copied)."""
    import torch

    kind = type(torch_model)
    if kind is torch.nn.Sequential:
        sequential = nn.Sequential()
        for name, child in torch_model.named_children():
            setattr(sequential, name, edu_module(child))  # keeps torch's names, as Sequential slices do
        return sequential
    if kind is torch.nn.Linear:
        return nn.Linear(torch_model.in_features, torch_model.out_features, bias=torch_model.bias is not None,
                         dtype=torch_model.weight.detach().numpy().dtype)
    for edu_kind in PARAMETERLESS + LOSSES:
        if kind is getattr(torch.nn, edu_kind.__name__):
            return edu_kind() if edu_kind in PARAMETERLESS else edu_loss(edu_kind, torch_model)
    raise no_equivalent("from_torch", "tinygrad_edu.nn", torch_model)


def edu_loss(kind: type, torch_loss: Any) -> nn.Module:
    """A tinygrad_edu loss with ``torch_loss``'s reduction (and class weight and ignore_index, for the
    weighted ones); a torch-only option not at its default raises ValueError naming it."""
    for option, default in TORCH_ONLY_OPTIONS.get(kind.__name__, {}).items():
        value = getattr(torch_loss, option, default)
        changed = value is not None if default is None else value != default
        if changed:
            raise ValueError(f"from_torch: {type(torch_loss).__name__}({option}=...) has no tinygrad_edu "
                             f"equivalent; only {option}={default!r} converts")
    if kind not in WEIGHTED_LOSSES:
        return kind(reduction=torch_loss.reduction)
    weight = torch_loss.weight
    weight = None if weight is None else np.array(weight.detach().cpu().numpy())
    return kind(weight=weight, ignore_index=torch_loss.ignore_index, reduction=torch_loss.reduction)


def to_torch(model: nn.Module) -> Any:
    """The equivalent ``torch.nn`` model, with a copy of ``model``'s weights in the same dtype.

    Raises TypeError naming the first module (anywhere in the tree) that has no torch equivalent.
    """
    import torch

    torch_model = torch_module(model)
    # torch's state dict also holds the losses' class weights (buffers, already set): keep them.
    state = torch_model.state_dict()
    state.update((name, torch.from_numpy(array)) for name, array in model.state_dict().items())
    torch_model.load_state_dict(state)
    return torch_model


def from_torch(torch_model: Any) -> nn.Module:
    """The equivalent tinygrad_edu model, with a copy of ``torch_model``'s weights in the same dtype.

    Raises TypeError naming the first module that tinygrad_edu does not have.
    """
    model = edu_module(torch_model)
    # Parameters only: a loss's class weight is a buffer in torch's state dict, and edu_module copied it.
    buffers = {name for name, _ in torch_model.named_buffers(remove_duplicate=False)}
    state = {name: np.array(tensor.detach().cpu().numpy()) for name, tensor in torch_model.state_dict().items()
             if name not in buffers}
    model.load_state_dict(state)
    return model
