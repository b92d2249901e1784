"""Derivatives of derivatives: the slide network's Hessian, and Newton's method on the deck's quartic.

backward(create_graph=True) and autograd.grad(..., create_graph=True) give a gradient that is
itself a Value with a graph, so it can be differentiated again. Here:

1. the Hessian of the slide network's loss with respect to its hidden layer's weights
   (autograd.functional.hessian), and its eigenvalues: the curvature in every direction;
2. Newton's method on the quartic of parts 2 and 3, x ← x − f'(x)/f''(x), with f' and f''
   from autograd: gradient descent whose learning rate is 1/f''(x).

Run: python examples/hessian_newton.py
"""

import numpy as np

from tinygrad_edu.lecture.descent import START, quartic
from tinygrad_edu.lecture.second_order import SLIDE_LAYER, newton, slide_hessian


def rows(matrix: np.ndarray) -> str:
    return "\n".join("  " + " ".join(f"{round(v, 4) + 0.0:7.4f}" for v in row) for row in matrix)


result = slide_hessian(SLIDE_LAYER)
print("The slide network: Linear(2, 2) -> Linear(2, 1) -> Sigmoid, every weight and bias 0.1,")
print(f"x = [1, 2], y = 0, BCE loss L = {result.loss:.4f}.")
print(f"\ndL/d({SLIDE_LAYER}), by backward:")
print(rows(result.gradient))
print(f"\nd²L/d({SLIDE_LAYER})², by autograd.functional.hessian ({SLIDE_LAYER}'s 4 numbers in row order):")
print(rows(result.hessian))
print("eigenvalues:", " ".join(f"{round(v, 4) + 0.0:.4f}" for v in result.eigenvalues))
print(f"One direction of curvature: z is linear in {SLIDE_LAYER}, so the Hessian is ŷ(1 − ŷ)·g gᵀ with")
print(f"g = dz/d({SLIDE_LAYER}), and its one nonzero eigenvalue is ŷ(1 − ŷ)·|g|² = {result.curvature_along_z:.4f}.")

steps = newton(quartic, START, 6)
print(f"\nNewton's method on f(x) = x⁴ + x³ − 2x² − 2x + 2 from x = {START}: x ← x − f'(x)/f''(x),")
print("f'(x) by autograd.grad(f, x, create_graph=True), f''(x) by differentiating f'(x) again.")
print("step           x          f(x)         f'(x)        f''(x)")
for number, step in enumerate(steps):
    print(f"{number:4d} {step.x:11.8f} {step.value:13.8f} {step.slope:13.3e} {step.curvature:13.8f}")
print(f"The slope shrinks quadratically: x = {steps[-1].next_x:.8f} after {len(steps)} steps, where f'(x) = 0.")
print(f"Each step is gradient descent with learning rate 1/f''(x): {1 / steps[0].curvature:.4f} at x = {START},")
print(f"{1 / steps[-1].curvature:.4f} at the minimum, where the curve bends less.")
