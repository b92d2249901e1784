"""Part 2: gradient descent on the quartic f(x) = x⁴ + x³ − 2x² − 2x + 2.

First with the slide's derivative 4x³ + 3x² − 4x (the slide's table), then with
the true derivative from autograd, which the slide's formula is not.
Run: python examples/gd_quartic.py [--plot]
"""

from tinygrad_edu.lecture import descent
from tinygrad_edu.viz.plot import offer_picture, plot_trajectories

print("Gradient descent on f(x) = x⁴ + x³ − 2x² − 2x + 2 with the slide's derivative 4x³ + 3x² − 4x")
x, lr = descent.START, descent.LEARNING_RATE
g = descent.slide_derivative(x)
print(f"First step: x = {x} - {lr} * ({g:g}) = {x - lr * g:g}")
print()
printed, true, lines = descent.slide_and_true_runs("gd", cost_after=5)
print("\n".join(lines))
print(f"Gradient descent settles at f({true.xs[-1]:.3f}) = {true.scores[-1]:.5f}, "
      f"not at the slide's f({printed.xs[-1]:.3f}) = {printed.scores[-1]:.5f}.")
print()
print(offer_picture("gd_quartic.png", lambda path: plot_trajectories(
    descent.quartic, {"slide's derivative": printed.xs, "true derivative": true.xs}, path,
    derivative=descent.BOTH_DERIVATIVES, title="GD on the quartic, η = 0.1")))
