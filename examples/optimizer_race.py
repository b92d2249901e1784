"""A race of every optimizer: steps to reach the minimum of an ill-conditioned bowl and of Rosenbrock's valley.

The bowl 0.1·x₁² + 2·x₂² curves 20 times more steeply across than along: a
learning rate small enough for the steep direction crawls along the flat one.
Rosenbrock's (1 − x₁)² + 100·(x₂ − x₁²)² has a long curved valley to (1, 1).
Each optimizer runs from the same start with its learning rate for that
problem (set by hand below), until x is within TOLERANCE of the minimum.
Run: python examples/optimizer_race.py
"""

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import optim

TOLERANCE, MAX_STEPS, GAMMA = 1e-3, 2000, 0.9


def bowl(x):
    return 0.1 * x[0] ** 2 + 2 * x[1] ** 2


def rosenbrock(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


# name → (how to build it from the parameters and a learning rate, its other settings)
RACERS = {
    "GD": (lambda ps, lr: optim.GD(ps, lr), ""),
    "Momentum": (lambda ps, lr: optim.Momentum(ps, lr, momentum=GAMMA), f"γ = {GAMMA}"),
    "Nesterov": (lambda ps, lr: optim.Nesterov(ps, lr, momentum=GAMMA), f"γ = {GAMMA}"),
    "SGD": (lambda ps, lr: optim.SGD(ps, lr, momentum=GAMMA, nesterov=True), f"momentum={GAMMA}, nesterov"),
    "Adagrad": (lambda ps, lr: optim.Adagrad(ps, lr), "defaults"),
    "RMSprop": (lambda ps, lr: optim.RMSprop(ps, lr), "defaults"),
    "Adam": (lambda ps, lr: optim.Adam(ps, lr), "defaults"),
    "AdamW": (lambda ps, lr: optim.AdamW(ps, lr), "weight_decay=0.01"),
    "Newton": (lambda ps, lr: optim.Newton(ps, lr), "the Hessian, no damping"),
}
# problem → (objective, start, minimum, each optimizer's learning rate on it)
PROBLEMS = {
    "the bowl 0.1·x₁² + 2·x₂²": (bowl, [-4.0, 1.0], [0.0, 0.0], {
        "GD": 0.2, "Momentum": 0.1, "Nesterov": 0.2, "SGD": 0.2,
        "Adagrad": 1.0, "RMSprop": 0.1, "Adam": 0.1, "AdamW": 0.1, "Newton": 1.0}),
    "Rosenbrock (1 − x₁)² + 100·(x₂ − x₁²)²": (rosenbrock, [-1.2, 1.0], [1.0, 1.0], {
        "GD": 0.002, "Momentum": 0.002, "Nesterov": 0.001, "SGD": 0.001,
        "Adagrad": 1.0, "RMSprop": 0.01, "Adam": 0.2, "AdamW": 0.1, "Newton": 1.0}),
}


def race(make, objective, start, minimum, lr):
    """Steps until ‖x − x*‖ < TOLERANCE (or None), whether it diverged, and the distance at the end."""
    x = tg.Value(start, dtype=np.float64, requires_grad=True)
    optimizer = make([x], lr)

    def closure():  # Nesterov evaluates it at its look-ahead point, Newton differentiates its loss twice
        optimizer.zero_grad()
        loss = objective(x)
        loss.backward()
        return loss

    for step in range(1, MAX_STEPS + 1):
        optimizer.step(closure)
        distance = float(np.linalg.norm(x.data - minimum))
        if not distance < 1e6:  # stop before the numbers overflow
            return step, True, distance
        if distance < TOLERANCE:
            return step, False, distance
    return None, False, distance


for problem, (objective, start, minimum, rates) in PROBLEMS.items():
    print(f"{problem}, from x = {tuple(start)} to x* = {tuple(minimum)}: steps until ‖x − x*‖ < {TOLERANCE:g}")
    print(f"  {'optimizer':<10} {'lr':>6}  {'settings':<24} result")
    for name, (make, settings) in RACERS.items():
        steps, diverged, distance = race(make, objective, start, np.array(minimum), rates[name])
        if diverged:
            result = f"diverged at step {steps}"
        elif steps is None:
            result = f"did not reach in {MAX_STEPS} (‖x − x*‖ = {distance:.4f})"
        else:
            result = f"{steps} steps"
        print(f"  {name:<10} {rates[name]:>6g}  {settings:<24} {result}")
    print()
print("Adagrad, RMSprop, Adam and AdamW scale each coordinate's step by the size of its own gradients,")
print("so on the bowl the flat direction x₁ is not left behind. On Rosenbrock every rule has to follow")
print("the curved valley floor; Adagrad's steps shrink as its sum of squared gradients grows, and AdamW's")
print("weight decay pulls x towards 0, away from the minimum at (1, 1). Newton divides each direction's")
print("slope by its own curvature, the Hessian: on the bowl, a quadratic, one step lands on the minimum.")
