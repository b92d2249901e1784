"""Part 1's last slide: "Classification using Multilayer Perceptron — Iris Dataset".

An MLP 4-16-3 (Tanh), CrossEntropyLoss and SGD with momentum 0.9, trained on
120 flowers one full batch an epoch, then tested on the other 30. The loop is
``tinygrad_edu.lecture.iris.train_iris``, the same one ``tinygrad-edu train-iris`` runs:

    for epoch in range(epochs):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()

Run: python examples/iris_mlp.py [--seed N]
"""

import argparse

from tinygrad_edu.cli import seed_int
from tinygrad_edu.lecture.iris import format_confusion, train_iris

parser = argparse.ArgumentParser(description="Train the Iris MLP and test it.")
parser.add_argument("--seed", type=seed_int, default=0, help="the train/test split and the initial weights")
seed = parser.parse_args().seed  # a bad --seed: argparse's usage line and one error line, exit 2
result = train_iris(seed=seed)
print(result.model)
print(f"loss after epoch 1: {result.losses[0]:.4f}, after epoch {len(result.losses)}: {result.losses[-1]:.4f}")
print(f"test accuracy (seed {seed}): {result.correct}/{len(result.test_labels)} = {result.test_accuracy:.4f}")
print(format_confusion(result))
