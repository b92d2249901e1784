"""Part 2: gradient descent on f(x) = x², from x = -2.0 with learning rate η = 0.1.

The slide's text says "2x²", but its code and its table use x² (derivative 2x).
Run: python examples/gd_parabola.py [--plot]
"""

from tinygrad_edu.lecture import descent
from tinygrad_edu.viz.plot import offer_picture, plot_trajectories

print("Gradient descent on f(x) = x², derivative 2x (the slide's text says 2x²; its code uses x²)")
x, lr = descent.START, descent.LEARNING_RATE
print(f"First step: x = {x} - {lr} * (2 * {x}) = {x - lr * descent.parabola_derivative(x):g}")
print()
result = descent.run("gd", descent.parabola, descent.parabola_derivative)
print("\n".join(result.rows()))
print()
print(offer_picture("gd_parabola.png", lambda path: plot_trajectories(
    descent.parabola, {"gradient descent": result.xs}, path, derivative="2x (correct)",
    title="GD on x², η = 0.1")))
