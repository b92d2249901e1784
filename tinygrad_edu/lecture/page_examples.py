"""The two graphs ``python -m tinygrad_edu page`` can step through.

``slide`` is the lecture's 2-2-1 network with BCE (docs/slides.md, part 1);
``iris-step`` is one Iris mini-batch through a 4-16-3 MLP with cross-entropy.
Every Value gets the name a lecture uses (x, h, z, ŷ, L; forward hooks name the
Iris layers' outputs), so the page says dL/dŷ instead of dL/dv11.
"""

from __future__ import annotations

from collections.abc import Callable

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.datasets import iris_split
from tinygrad_edu.lecture.mlp import name_products, slide_network

IRIS_BATCH = 8  # rows in the mini-batch: enough to show a batch, few enough to read
IRIS_SEED = 0


def name_outputs(model: nn.Sequential, names: list[str]) -> None:
    """Call the output of ``model[i]`` ``names[i]`` on every forward pass."""
    for layer, name in zip(model, names, strict=True):
        layer.register_forward_hook(lambda module, inputs, output, name=name: setattr(output, "name", name))


def slide_loss() -> tg.Value:
    """The slide's network (x = [1, 2], every parameter 0.1, BCE against y = 0): loss 0.7872,
    every Value named as the lecture names it (``slide_network`` does)."""
    return slide_network().loss


def iris_step_loss() -> tg.Value:
    """The cross-entropy of the first Iris training mini-batch through Linear(4, 16) → ReLU → Linear(16, 3)."""
    tg.manual_seed(IRIS_SEED)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
    name_outputs(model, ["z1", "h", "logits"])
    x_train, y_train, *_ = iris_split()
    x = tg.tensor(x_train[:IRIS_BATCH], dtype="float32")
    x.name = "x"
    loss = nn.CrossEntropyLoss()(model(x), tg.tensor(y_train[:IRIS_BATCH]))
    loss.name = "L"
    name_products(loss)
    return loss


EXAMPLES: dict[str, Callable[[], tg.Value]] = {"slide": slide_loss, "iris-step": iris_step_loss}
