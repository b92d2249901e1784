"""Part 3: Nesterov momentum (γ = 0.9) on the quartic.

v ← γv − η·f'(x + γv); x ← x + v: the gradient is taken at the look-ahead
point x + γv. optim.Nesterov moves x there, calls the closure (which sets the
gradient), moves x back and updates. The slide's table uses its derivative
4x³ + 3x² − 4x; with the true derivative the same settings diverge.
Run: python examples/nesterov_quartic.py [--plot]
"""

import itertools
import math

from tinygrad_edu.lecture import descent
from tinygrad_edu.viz.plot import offer_picture, plot_trajectories

LR, GAMMA = descent.LEARNING_RATE, 0.9
print(f"Nesterov momentum on the quartic with the slide's derivative, x = {descent.START}, η = {LR}, γ = {GAMMA}")
printed, true, lines = descent.slide_and_true_runs("nesterov", GAMMA)
print("\n".join(lines))
print(descent.divergence_note(true))
print()
print("Why: each step is v = γv − η·f'(look-ahead). Where the run went:")
derivative = descent.autograd_derivative(descent.quartic)
for epoch, (before, after) in enumerate(itertools.pairwise(true.xs)):
    velocity_before = before - true.xs[epoch - 1] if epoch else 0.0
    ahead = before + GAMMA * velocity_before
    print(f"  epoch {epoch:02d}: look-ahead {ahead:7.3f}, f' there {derivative(ahead):9.3f}, x becomes {after:8.3f}")
print("The true f' is the slide's minus 2, so it pushes x further right: with γ = 0.9 the velocity keeps")
print("building until the look-ahead reaches the steep wall of the quartic (epoch 02), where one step η·f'")
print("throws x far across the valley. Far out f'(x) ≈ 4x³, so each overshoot lands where the slope is")
print("steeper still, and the steps grow without bound.")
unbounded = descent.run("nesterov", descent.quartic, momentum=GAMMA, limit=math.inf)
print(f"Left to run, f(x) overflows float64 at epoch {unbounded.diverged_at:02d}.")
smaller = descent.run("nesterov", descent.quartic, lr=LR / 2, momentum=GAMMA)
print(f"With η = {LR / 2} the same run stays finite and ends at f({smaller.xs[-1]:.3f}) = {smaller.scores[-1]:.5f}.")
print()
print(offer_picture("nesterov_quartic.png", lambda path: plot_trajectories(
    descent.quartic, {"slide's derivative": printed.xs, "true derivative": unbounded.xs}, path,
    derivative=descent.BOTH_DERIVATIVES, x_range=(-2.5, 2.0), title=f"Nesterov on the quartic, η = {LR}, γ = {GAMMA}")))
