"""Part 2: gradient descent with momentum (γ = 0.8) on the quartic.

v ← γv + η·f'(x); x ← x − v. The slide's first two steps, its table (with its
derivative 4x³ + 3x² − 4x), then the run with the true derivative from autograd.
Run: python examples/momentum_quartic.py [--plot]
"""

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import optim
from tinygrad_edu.lecture import descent
from tinygrad_edu.viz.plot import offer_picture, plot_trajectories

LR, GAMMA = descent.LEARNING_RATE, 0.8
print(f"GD with momentum on the quartic, x = {descent.START}, η = {LR}, γ = {GAMMA}, v0 = 0.0")

# The slide's two worked steps, taken by optim.Momentum with the gradient set by hand.
x = tg.Value(descent.START, dtype=np.float64, requires_grad=True)
optimizer = optim.Momentum([x], lr=LR, momentum=GAMMA)
for t in (1, 2):
    # float(): the step updates the velocity array in place, as PyTorch's buffers are
    before, v_before = x.item(), float(optimizer.state.get(x, {}).get("velocity", 0.0))
    x.grad = g = descent.slide_derivative(before)
    optimizer.step()
    v = optimizer.state[x]["velocity"].item()
    shown = f"{v_before:.1f}" if v_before >= 0 else f"({v_before:.1f})"
    print(f"v{t} = {GAMMA} * {shown} + {LR} * ({g:.4g}) = {v:.4g}   (slide: {v:.2f})")
    print(f"x  = {before:.1f} - ({v:.4g}) = {x.item():.4g}   (slide: {x.item():.2f})")
print()
printed, true, lines = descent.slide_and_true_runs("momentum", GAMMA, cost_after=5)
print("\n".join(lines))
print(f"Momentum ends at f({true.xs[-1]:.3f}) = {true.scores[-1]:.5f}, "
      f"not at the slide's f({printed.xs[-1]:.3f}) = {printed.scores[-1]:.5f}.")
print()
print(offer_picture("momentum_quartic.png", lambda path: plot_trajectories(
    descent.quartic, {"slide's derivative": printed.xs, "true derivative": true.xs}, path,
    derivative=descent.BOTH_DERIVATIVES, title=f"Momentum on the quartic, η = {LR}, γ = {GAMMA}")))
