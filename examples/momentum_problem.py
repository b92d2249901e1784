"""Part 3's opening: the problem of gradient descent with momentum (γ = 0.9, 10 epochs).

With momentum 0.9 the velocity carries x through the minimum and up the far
side; Nesterov's look-ahead gradient brakes before it gets there.
Run: python examples/momentum_problem.py [--plot]
"""

import numpy as np

from tinygrad_edu.lecture import descent
from tinygrad_edu.viz.plot import offer_picture, plot_trajectories

GAMMA, EPOCHS = 0.9, 10
print(f"GD with momentum on the quartic with the slide's derivative, η = {descent.LEARNING_RATE}, "
      f"γ = {GAMMA}, {EPOCHS} epochs")
heavy = descent.run("momentum", descent.quartic, descent.slide_derivative, momentum=GAMMA, epochs=EPOCHS)
print("\n".join(heavy.rows()))
print()
# Where the slide's derivative 4x³ + 3x² − 4x vanishes on the right: its tables settle there.
minimum = max(np.roots([4.0, 3.0, -4.0, 0.0]).real)
farthest = int(np.argmax(heavy.xs))
print(f"The slide's minimum is at x = {minimum:.3f}. Momentum passes it and reaches x = {heavy.xs[farthest]:.3f} "
      f"at epoch {farthest - 1:02d};")
print(f"then the velocity it built up throws it back over the minimum, to x = {heavy.xs[-1]:.3f} at epoch "
      f"{EPOCHS - 1:02d}, where f = {heavy.scores[-1]:.5f} (after the first step f was {heavy.scores[1]:.5f}).")
ahead = descent.run("nesterov", descent.quartic, descent.slide_derivative, momentum=GAMMA, epochs=EPOCHS)
print(f"Nesterov momentum with the same γ = {GAMMA} takes the gradient at the look-ahead point;")
print(f"after {EPOCHS} epochs it is at f({ahead.xs[-1]:.3f}) = {ahead.scores[-1]:.5f}, near the minimum.")
print()
print(offer_picture("momentum_problem.png", lambda path: plot_trajectories(
    descent.quartic, {"momentum γ = 0.9": heavy.xs, "Nesterov γ = 0.9": ahead.xs}, path,
    derivative=descent.SLIDE_DERIVATIVE_NAME, title="The problem of GD with momentum")))
