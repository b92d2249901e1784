"""The classic picture of momentum: GD, momentum and Nesterov on the bowl 0.1·x₁² + 2·x₂².

The bowl is 20 times steeper across than along: gradient descent zig-zags
across it and crawls along it; momentum adds up the steps along and runs down.
Prints where each rule is after some steps; --plot draws the paths on the
contour lines, then the same rules on Rosenbrock's curved valley.
Run: python examples/momentum_bowl.py [--plot]
"""

import numpy as np

from tinygrad_edu.lecture import surfaces
from tinygrad_edu.viz.plot import offer_picture, plot_paths_2d

BOWL = surfaces.BOWL
LR, GAMMA = BOWL.lr, BOWL.momentum
minimum = BOWL.minimiser
curvatures = np.linalg.eigvalsh(surfaces.hessian(BOWL.objective, minimum))
print(f"f(x) = {BOWL.name} from x₀ = {BOWL.start}, η = {LR}, γ = {GAMMA}")
print(f"Curvatures {curvatures[0]:.1f} along x₁ and {curvatures[1]:.1f} along x₂ (condition number "
      f"{curvatures[1] / curvatures[0]:.0f}); the minimum is at ({minimum[0]:.3f}, {minimum[1]:.3f}).")
print(f"A GD step multiplies x₂ by 1 − η·{curvatures[1]:.0f} = {1 - LR * curvatures[1]:.1f}: x₂ changes sign "
      "every step, the zig-zag,")
print(f"and x₁ by 1 − η·{curvatures[0]:.1f} = {1 - LR * curvatures[0]:.2f}: it crawls. Momentum's velocity adds up "
      "the steps along x₁.")
print()


def turns_back(points: np.ndarray) -> int:
    """How many steps point back against the step before (an angle over 90°): the zig-zags."""
    steps = np.diff(points, axis=0)
    return int(np.sum(np.sum(steps[1:] * steps[:-1], axis=1) < 0))


def table(paths: dict, shown_steps: tuple) -> None:
    """Where each rule is after some steps, f at the last one, and how often it turned back."""
    print(f"{'rule':<18}" + "".join(f"{'after ' + str(n) + ' steps':<20}" for n in shown_steps)
          + f"{'f at the end':<14}steps that turned back")
    for label, points in paths.items():
        cells = [f"({points[n][0] + 0.0:6.3f}, {points[n][1] + 0.0:6.3f})" if n < len(points) else "(stopped)"
                 for n in shown_steps]
        end = f"{BOWL.objective(points[-1]):.3g}"
        print(f"{label:<18}" + "".join(f"{cell:<20}" for cell in cells) + f"{end:<14}{turns_back(points)}")


paths = surfaces.paths(BOWL)
table(paths, (5, 10, BOWL.steps))
print()
bound = surfaces.largest_stable_step("nesterov", GAMMA)
print(f"Nesterov's look-ahead shrinks its stable range: on a curvature λ it needs η·λ < 2(1 + γ)/(1 + 2γ) = "
      f"{bound:.2f},")
print(f"not GD's 2; here η·{curvatures[1]:.0f} = {LR * curvatures[1]:.2f}. With η = {LR - 0.05:.2f} "
      f"(η·{curvatures[1]:.0f} = {(LR - 0.05) * curvatures[1]:.2f}):")
table(surfaces.paths(BOWL, lr=LR - 0.05), (5, 10, BOWL.steps))
print()
print(offer_picture("momentum_bowl.png", lambda path: plot_paths_2d(
    BOWL.objective, paths, path, minimum=minimum, x_range=BOWL.x_range, y_range=BOWL.y_range,
    title=f"{BOWL.name}: GD zig-zags, momentum runs down the valley (η = {LR}, γ = {GAMMA})")))
ROSENBROCK = surfaces.ROSENBROCK
print(offer_picture("momentum_rosenbrock.png", lambda path: plot_paths_2d(
    ROSENBROCK.objective, surfaces.paths(ROSENBROCK), path, minimum=ROSENBROCK.minimiser,
    x_range=ROSENBROCK.x_range, y_range=ROSENBROCK.y_range,
    title=f"{ROSENBROCK.name}, η = {ROSENBROCK.lr}, γ = {ROSENBROCK.momentum}, {ROSENBROCK.steps} steps")))
