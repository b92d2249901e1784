"""``summary(model, input_size)``: the layer table of ``pip install torchsummary`` (1.5.1).

How torchsummary builds it, and so how we do: register a forward hook on every
module except containers (``Sequential``) and the model itself, run the model
once on a random batch of 2, and let each hook append a row when its module's
forward finishes. So rows come in the order forward *finishes*, a child before
the parent that called it, and a module called twice gets two rows.

Its quirks are kept, so that the table is the same line for line:

* a row's parameters are only ``weight`` and ``bias`` (other parameters are not
  counted), and the row is "trainable" when ``weight.requires_grad``; a module
  without a ``weight`` is never counted as trainable, even if its bias is;
* every size assumes 4 bytes a number whatever the dtype, the outputs count
  twice (for their gradients), and 1 MB = 1024² bytes;
* the first axis of each output shape is printed as ``batch_size`` (default -1),
  and sizes computed with a negative batch size are made positive by abs().
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..arguments import is_int
from ..autograd import no_grad
from ..terminal import write_line
from ..value import Value
from .container import Sequential
from .module import Module

RULE = "-" * 64
DOUBLE_RULE = "=" * 64
BYTES_PER_NUMBER = 4.0
MEGABYTE = 1024 ** 2.0


@dataclass(frozen=True)
class SummaryRow:
    """One line of the table: ``Linear-1  [-1, 1, 2]  6``."""

    layer: str
    output_shape: list
    params: int
    trainable: bool  # as torchsummary decides it: the module's weight requires grad


@dataclass(frozen=True, repr=False)
class SummaryResult:
    """What ``summary`` printed, as numbers. ``str()`` gives the table itself."""

    rows: list
    total_params: int
    trainable_params: int
    non_trainable_params: int
    input_size_mb: float
    forward_backward_pass_size_mb: float
    params_size_mb: float
    total_size_mb: float

    def __repr__(self) -> str:
        return (f"SummaryResult({len(self.rows)} layers, {self.total_params:,} params, "
                f"{self.trainable_params:,} trainable, {self.total_size_mb:.2f} MB)")

    def __str__(self) -> str:
        lines = [RULE, _table_line("Layer (type)", "Output Shape", "Param #"), DOUBLE_RULE]
        lines += [_table_line(row.layer, str(row.output_shape), f"{row.params:,}") for row in self.rows]
        return "\n".join(lines + [
            DOUBLE_RULE,
            f"Total params: {self.total_params:,}",
            f"Trainable params: {self.trainable_params:,}",
            f"Non-trainable params: {self.non_trainable_params:,}",
            RULE,
            f"Input size (MB): {self.input_size_mb:0.2f}",
            f"Forward/backward pass size (MB): {self.forward_backward_pass_size_mb:0.2f}",
            f"Params size (MB): {self.params_size_mb:0.2f}",
            f"Estimated Total Size (MB): {self.total_size_mb:0.2f}",
            RULE,
        ])


def _table_line(layer: str, shape: str, params: str) -> str:
    return f"{layer:>20}  {shape:>25} {params:>15}"


def summary(model: Module, input_size: tuple, batch_size: int = -1) -> SummaryResult:
    """Print the layer table of ``model`` for one input of shape ``input_size`` (without the
    batch axis), exactly as torchsummary 1.5.1 prints it, and return it as a ``SummaryResult``.

    The slide's call is ``summary(nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2), nn.Sigmoid()), (1, 2))``.
    A model without parameters prints its table here; torchsummary 1.5.1 crashes on one.
    """
    if not isinstance(model, Module):
        raise TypeError(f"summary: model must be an nn.Module, got {type(model).__name__}")
    if not isinstance(input_size, (tuple, list)) or not all(
            is_int(n) and n >= 0 for n in input_size):
        raise TypeError(f"summary: input_size must be one shape, a tuple of ints ≥ 0 such as (1, 2), "
                        f"got {input_size!r}")
    if not is_int(batch_size):
        raise TypeError(f"summary: batch_size must be an int (torchsummary prints -1), got {batch_size!r}")
    rows = _run_with_hooks(model, tuple(input_size), batch_size)
    result = _totals(rows, input_size, batch_size)
    write_line(str(result))
    return result


def _run_with_hooks(model: Module, input_size: tuple, batch_size: int) -> list:
    """Run ``model`` on a random batch of 2 and collect one row per leaf-module call."""
    rows: list = []

    def record(module: Module, inputs: tuple, output: Value) -> None:
        output_shape = [batch_size] + list(output.shape)[1:]
        weight, bias = getattr(module, "weight", None), getattr(module, "bias", None)
        params = sum(math.prod(p.shape) for p in (weight, bias) if isinstance(p, Value))
        trainable = isinstance(weight, Value) and weight.requires_grad
        rows.append(SummaryRow(f"{type(module).__name__}-{len(rows) + 1}", output_shape, params, trainable))

    handles = [module.register_forward_hook(record) for module in model.modules()
               if module is not model and not isinstance(module, Sequential)]
    # torchsummary draws torch.rand(2, *input_size); we use a generator of our own so
    # that printing a summary does not change the weights of layers created after it.
    x = Value(np.random.default_rng(0).random((2, *input_size)), dtype=np.float32)
    try:
        with no_grad():
            model(x)
    finally:
        for handle in handles:
            handle.remove()
    return rows


def _totals(rows: list, input_size: tuple, batch_size: int) -> SummaryResult:
    """torchsummary's totals and sizes, computed in its order (the float sums round the same)."""
    total_params = sum(row.params for row in rows)
    trainable_params = sum(row.params for row in rows if row.trainable)
    total_output = sum(math.prod(row.output_shape) for row in rows)
    input_mb = abs(math.prod(input_size) * batch_size * BYTES_PER_NUMBER / MEGABYTE)
    output_mb = abs(2.0 * total_output * BYTES_PER_NUMBER / MEGABYTE)  # x2 for the gradients
    params_mb = abs(total_params * BYTES_PER_NUMBER / MEGABYTE)
    return SummaryResult(rows, total_params, trainable_params, total_params - trainable_params,
                         input_mb, output_mb, params_mb, params_mb + output_mb + input_mb)
