"""Part 1, "Multilayer Perceptron": the model summary slide.

    python examples/mlp_summary.py
"""

from tinygrad_edu import nn, summary

model = nn.Sequential(
    nn.Linear(2, 2),
    nn.Linear(2, 2),
    nn.Sigmoid(),
)
summary(model, (1, 2))
