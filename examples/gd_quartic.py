"""Part 2: gradient descent on the quartic f(x) = x⁴ + x³ − 2x² − 2x + 2.

First with the slide's derivative 4x³ + 3x² − 4x (the slide's table), then with
the true derivative from autograd, which the slide's formula is not.
Run: python examples/gd_quartic.py [--plot]
"""

from tinygrad_edu.plot import offer_picture, plot_trajectories
from tinygrad_edu.slides import momentum as slides

print("Gradient descent on f(x) = x⁴ + x³ − 2x² − 2x + 2 with the slide's derivative 4x³ + 3x² − 4x")
x, lr = slides.START, slides.LEARNING_RATE
g = slides.slide_derivative(x)
print(f"First step: x = {x} - {lr} * ({g:g}) = {x - lr * g:g}")
print()
printed = slides.run("gd", slides.quartic, slides.slide_derivative)
print("\n".join(printed.rows()))
print(f"After 5 epochs: Cost = {printed.scores[5]:.2f}")
print()
print("\n".join(slides.wrong_derivative_report()))
print()
print("The same run with the true derivative (autograd):")
true = slides.run("gd", slides.quartic)
print("\n".join(true.rows()))
print(f"Gradient descent settles at f({true.xs[-1]:.3f}) = {true.scores[-1]:.5f}, "
      f"not at the slide's f({printed.xs[-1]:.3f}) = {printed.scores[-1]:.5f}.")
print()
print(offer_picture("gd_quartic.png", lambda path: plot_trajectories(
    slides.quartic, {"slide's derivative": printed.xs, "true derivative": true.xs}, path,
    title="GD on the quartic, η = 0.1")))
