"""Every number the deck computes and prints, as the deck prints it, in the deck's order.

These are the *expected* values of the tour (``python -m tinygrad_edu``): they
are transcribed from the slides, never computed. ``computed.py`` computes the
same quantities with tinygrad_edu under the same keys, and ``tour.py`` puts
the two side by side. Numbers the slides *set* rather than compute (x = [1, 2],
every weight 0.1, the cross-entropy slide's logits, x₀ = -2.0, η, γ) are inputs
and are not listed.

One entry is one line of the tour; each of its numbers counts as one value.
The quartic's groups are computed, as the deck computes them, with its wrong
derivative 4x³ + 3x² − 4x (``DECK_DERIVATIVE_GROUPS``): the tour marks their
lines and prints beside each what the true derivative gives.
Two readings need a word (both are in ``docs/slides.md``):

* the backward slide draws W_h after the step as the bias row over the weight
  as PyTorch stores it, (out, in), not transposed as its own forward formula
  [1 x]·W_h would need; we compare in the layout the slide prints;
* the momentum slide prints v₂ = -0.65 and x₂ = -0.15, two decimals of -0.6528
  and -0.1472, and the cost after 5 epochs with two decimals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class SlideValue:
    """One line of the deck: ``printed`` holds its numbers as the slide prints them,
    ``layout`` shows them (``{}`` per number), ``key`` names the computation in
    ``computed.py``; the key's first part names its group in ``GROUPS``."""

    key: str
    label: str
    printed: tuple[str, ...]
    layout: str = "{}"

    @property
    def group(self) -> str:
        return self.key.partition(".")[0]

    @property
    def deck_derivative(self) -> bool:
        """Does the deck compute this line with its wrong quartic derivative?"""
        return self.group in DECK_DERIVATIVE_GROUPS


PART_1 = "Part 1 — Multilayer Perceptron"
PART_2 = "Part 2 — Gradient Descent with Momentum"
PART_3 = "Part 3 — Nesterov Momentum"

# group → (part of the deck, what its slides compute), in the deck's order.
GROUPS = {
    "summary": (PART_1, "summary(model, (1, 2)) of Linear(2, 2) → Linear(2, 2) → Sigmoid"),
    "forward": (PART_1, "Forward: x = [1, 2], every weight and bias 0.1, Linear(2, 2) → Linear(2, 1)"),
    "backward": (PART_1, "Backward, BCE with y = 0, one step of lr 0.1: each bias over its weight"),
    "activation": (PART_1, "Activations of [0.18, -0.18]"),
    "loss": (PART_1, "Losses"),
    "sgd": (PART_1, "optim.SGD(model.parameters(), 0.1); loss.backward(); optimizer.step()"),
    "gd_parabola": (PART_2, "Gradient descent on x² from x = -2.0, η = 0.1"),
    "gd_quartic": (PART_2, "Gradient descent on x⁴ + x³ − 2x² − 2x + 2 with the deck's derivative 4x³ + 3x² − 4x"),
    "momentum": (PART_2, "GD with momentum γ = 0.8 on the quartic, the deck's derivative"),
    "nesterov": (PART_3, "Nesterov momentum γ = 0.9 on the quartic, the deck's derivative"),
}
# The groups the deck computes with its wrong derivative of the quartic, 4x³ + 3x² − 4x (the true
# one is 4x³ + 3x² − 4x − 2: docs/slides.md, erratum 1).
DECK_DERIVATIVE_GROUPS = frozenset({"gd_quartic", "momentum", "nesterov"})

# The four 20-epoch tables, copied from the slides.
GD_PARABOLA_TABLE = """\
Epoch: 00 -- f(-1.600) = 2.56000
Epoch: 01 -- f(-1.280) = 1.63840
Epoch: 02 -- f(-1.024) = 1.04858
Epoch: 03 -- f(-0.819) = 0.67109
Epoch: 04 -- f(-0.655) = 0.42950
Epoch: 05 -- f(-0.524) = 0.27488
Epoch: 06 -- f(-0.419) = 0.17592
Epoch: 07 -- f(-0.336) = 0.11259
Epoch: 08 -- f(-0.268) = 0.07206
Epoch: 09 -- f(-0.215) = 0.04612
Epoch: 10 -- f(-0.172) = 0.02951
Epoch: 11 -- f(-0.137) = 0.01889
Epoch: 12 -- f(-0.110) = 0.01209
Epoch: 13 -- f(-0.088) = 0.00774
Epoch: 14 -- f(-0.070) = 0.00495
Epoch: 15 -- f(-0.056) = 0.00317
Epoch: 16 -- f(-0.045) = 0.00203
Epoch: 17 -- f(-0.036) = 0.00130
Epoch: 18 -- f(-0.029) = 0.00083
Epoch: 19 -- f(-0.023) = 0.00053
"""

GD_QUARTIC_TABLE = """\
Epoch: 00 -- f(-0.800) = 2.21760
Epoch: 01 -- f(-1.107) = 1.90812
Epoch: 02 -- f(-1.375) = 1.94351
Epoch: 03 -- f(-1.452) = 2.07181
Epoch: 04 -- f(-1.441) = 2.04801
Epoch: 05 -- f(-1.444) = 2.05364
Epoch: 06 -- f(-1.443) = 2.05233
Epoch: 07 -- f(-1.443) = 2.05264
Epoch: 08 -- f(-1.443) = 2.05257
Epoch: 09 -- f(-1.443) = 2.05258
Epoch: 10 -- f(-1.443) = 2.05258
Epoch: 11 -- f(-1.443) = 2.05258
Epoch: 12 -- f(-1.443) = 2.05258
Epoch: 13 -- f(-1.443) = 2.05258
Epoch: 14 -- f(-1.443) = 2.05258
Epoch: 15 -- f(-1.443) = 2.05258
Epoch: 16 -- f(-1.443) = 2.05258
Epoch: 17 -- f(-1.443) = 2.05258
Epoch: 18 -- f(-1.443) = 2.05258
Epoch: 19 -- f(-1.443) = 2.05258
"""

MOMENTUM_QUARTIC_TABLE = """\
Epoch: 00 -- f(-0.800) = 2.21760
Epoch: 01 -- f(-0.147) = 2.24834
Epoch: 02 -- f(0.311) = 1.22418
Epoch: 03 -- f(0.761) = 0.09618
Epoch: 04 -- f(1.075) = 0.11696
Epoch: 05 -- f(0.913) = -0.03723
Epoch: 06 -- f(0.594) = 0.44088
Epoch: 07 -- f(0.387) = 1.00798
Epoch: 08 -- f(0.308) = 1.23381
Epoch: 09 -- f(0.327) = 1.17773
Epoch: 10 -- f(0.428) = 0.89005
Epoch: 11 -- f(0.593) = 0.44244
Epoch: 12 -- f(0.774) = 0.07689
Epoch: 13 -- f(0.863) = -0.01795
Epoch: 14 -- f(0.799) = 0.04293
Epoch: 15 -- f(0.672) = 0.26025
Epoch: 16 -- f(0.582) = 0.46945
Epoch: 17 -- f(0.563) = 0.51926
Epoch: 18 -- f(0.606) = 0.41078
Epoch: 19 -- f(0.684) = 0.23563
"""

NESTEROV_QUARTIC_TABLE = """\
Epoch: 00 -- f(-0.800) = 2.21760
Epoch: 01 -- f(0.360) = 1.08511
Epoch: 02 -- f(0.268) = 1.34411
Epoch: 03 -- f(0.247) = 1.40184
Epoch: 04 -- f(0.300) = 1.25650
Epoch: 05 -- f(0.432) = 0.87708
Epoch: 06 -- f(0.614) = 0.39136
Epoch: 07 -- f(0.719) = 0.16670
Epoch: 08 -- f(0.725) = 0.15602
Epoch: 09 -- f(0.707) = 0.19025
Epoch: 10 -- f(0.692) = 0.21938
Epoch: 11 -- f(0.687) = 0.22943
Epoch: 12 -- f(0.689) = 0.22596
Epoch: 13 -- f(0.692) = 0.21937
Epoch: 14 -- f(0.694) = 0.21555
Epoch: 15 -- f(0.694) = 0.21499
Epoch: 16 -- f(0.694) = 0.21595
Epoch: 17 -- f(0.693) = 0.21690
Epoch: 18 -- f(0.693) = 0.21728
Epoch: 19 -- f(0.693) = 0.21723
"""

TABLE_ROW = re.compile(r"Epoch: (\d\d) -- f\((-?\d+\.\d+)\) = (-?\d+\.\d+)")


def table(run: str, text: str) -> list[SlideValue]:
    """One SlideValue per row of a 20-epoch table: its x and f(x), keyed ``run.NN``."""
    rows = [TABLE_ROW.fullmatch(line).groups() for line in text.splitlines()]
    return [SlideValue(f"{run}.{epoch}", f"Epoch: {epoch}", (x, fx), "f({}) = {}") for epoch, x, fx in rows]


def entry(key: str, label: str, *printed: str, layout: str = "{}") -> SlideValue:
    """Shorthand for one line of the deck."""
    return SlideValue(key, label, printed, layout)


PAIR = "[{}, {}]"
SUMMARY_ROW = "[{}, {}, {}]  {}"

EXPECTED: tuple[SlideValue, ...] = (
    entry("summary.parameters", "#parameters (title slide)", "12"),
    entry("summary.row.1", "Linear-1  shape, Param #", "-1", "1", "2", "6", layout=SUMMARY_ROW),
    entry("summary.row.2", "Linear-2  shape, Param #", "-1", "1", "2", "6", layout=SUMMARY_ROW),
    entry("summary.row.3", "Sigmoid-3  shape, Param #", "-1", "1", "2", "0", layout=SUMMARY_ROW),
    entry("summary.total", "Total params", "12"),
    entry("summary.trainable", "Trainable params", "12"),
    entry("summary.non_trainable", "Non-trainable params", "0"),
    entry("summary.input_mb", "Input size (MB)", "0.00"),
    entry("summary.forward_backward_mb", "Forward/backward pass size (MB)", "0.00"),
    entry("summary.params_mb", "Params size (MB)", "0.00"),
    entry("summary.total_mb", "Estimated Total Size (MB)", "0.00"),
    entry("forward.h", "h = [1 x] W_h", "0.4", "0.4", layout=PAIR),
    entry("forward.z", "z = [1 h] W_z", "0.18"),
    entry("backward.w_h_bias", "W_h row 1 (bias)", "0.0946", "0.0946", layout=PAIR),
    entry("backward.w_h_weight_0", "W_h row 2 (weight row 1)", "0.0946", "0.0891", layout=PAIR),
    entry("backward.w_h_weight_1", "W_h row 3 (weight row 2)", "0.0946", "0.0891", layout=PAIR),
    entry("backward.w_z", "W_z (bias; weight)", "0.0455", "0.0782", "0.0782", layout="[{}; {}; {}]"),
    entry("activation.sigmoid", "Sigmoid", "0.5449", "0.4551", layout=PAIR),
    entry("activation.relu", "ReLU", "0.1800", "0.0000", layout=PAIR),
    entry("activation.tanh", "Tanh", "0.1781", "-0.1781", layout=PAIR),
    entry("loss.y_pred", "y_pred = model(x)", "0.5449", layout="[{}]"),
    entry("loss.bce", "BCELoss(y_pred, y = 0)", "0.7872"),
    entry("loss.cross_entropy", "CrossEntropyLoss([0.0580, 0.4275], 0)", "0.8949"),
    entry("sgd.0.weight.0", "0.weight row 1", "0.0946", "0.0891", layout=PAIR),
    entry("sgd.0.weight.1", "0.weight row 2", "0.0946", "0.0891", layout=PAIR),
    entry("sgd.0.bias", "0.bias", "0.0946", "0.0946", layout=PAIR),
    entry("sgd.1.weight.0", "1.weight", "0.0782", "0.0782", layout=PAIR),
    entry("sgd.1.bias", "1.bias", "0.0455", layout="[{}]"),
    entry("gd_parabola.first_step", "x = -2.0 - 0.1 * (2 * -2.0)", "-1.6"),
    *table("gd_parabola", GD_PARABOLA_TABLE),
    entry("gd_quartic.first_step", "first step: f'(-2), x", "-12", "-0.8", layout="{}, {}"),
    entry("gd_quartic.cost_5", "num_epochs = 5: Cost", "2.05"),
    *table("gd_quartic", GD_QUARTIC_TABLE),
    entry("momentum.step_1", "step 1: f'(-2), v₁, x", "-12", "-1.2", "-0.8", layout="{}, {}, {}"),
    entry("momentum.step_2", "step 2: f'(-0.8), v₂, x", "3.072", "-0.65", "-0.15", layout="{}, {}, {}"),
    entry("momentum.cost_5", "num_epochs = 5: Cost", "0.12"),
    *table("momentum", MOMENTUM_QUARTIC_TABLE),
    *table("nesterov", NESTEROV_QUARTIC_TABLE),
)
