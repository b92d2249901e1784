"""Small data sets shipped with the package, and the usual preparation steps.

The Iris data (Fisher 1936: 150 flowers, 4 measurements in cm, 3 species) is
the lecture's classification example. It lives inside the package, so it
loads without a network and without the course files.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib import resources

import numpy as np


@dataclass(frozen=True)
class Dataset:
    """Features (n, d) float64, integer labels (n,), and the name of each class and feature."""

    features: np.ndarray
    labels: np.ndarray
    class_names: tuple
    feature_names: tuple

    def __iter__(self):
        # ``features, labels, class_names = load_iris()`` unpacks like a tuple.
        return iter((self.features, self.labels, self.class_names))


def load_iris() -> Dataset:
    """The Iris data set: 150 rows, features in cm, labels 0 setosa, 1 versicolor, 2 virginica."""
    text = resources.files("tinygrad_edu.data").joinpath("iris.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    class_names = tuple(sorted({row[-1] for row in body}))
    features = np.array([[float(v) for v in row[:-1]] for row in body])
    labels = np.array([class_names.index(row[-1]) for row in body], dtype=np.int64)
    return Dataset(features, labels, class_names, tuple(header[:-1]))


def stratified_split(labels: np.ndarray, test_size: float = 0.2, seed: int = 0) -> tuple:
    """Indices ``(train, test)`` with each class in the same proportion in both parts.

    Each class contributes round(test_size · its count) rows to the test part,
    drawn with a generator seeded by ``seed``, so the split is repeatable:
    Iris with test_size 0.2 gives 10 test rows of each species, 30 in all.
    """
    if not 0 < test_size < 1:
        raise ValueError(f"stratified_split: test_size must be between 0 and 1, got {test_size}")
    rng = np.random.default_rng(seed)
    train, test = [], []
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        n_test = int(round(test_size * len(members)))
        test.extend(members[:n_test])
        train.extend(members[n_test:])
    return rng.permutation(np.array(train)), rng.permutation(np.array(test))


@dataclass(frozen=True)
class Standardizer:
    """x ↦ (x − mean) / std, with mean and std fitted on the training rows only.

    Fitting on the test rows too would leak information about them into training.
    """

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, features: np.ndarray) -> Standardizer:
        std = features.std(axis=0)
        return cls(features.mean(axis=0), np.where(std > 0, std, 1.0))  # a constant column stays put

    def transform(self, features: np.ndarray) -> np.ndarray:
        return (features - self.mean) / self.std


def iris_split(test_size: float = 0.2, seed: int = 0) -> tuple:
    """Standardised Iris ready for training: ``(x_train, y_train, x_test, y_test, class_names)``."""
    data = load_iris()
    train, test = stratified_split(data.labels, test_size, seed)
    scaler = Standardizer.fit(data.features[train])
    return (scaler.transform(data.features[train]), data.labels[train],
            scaler.transform(data.features[test]), data.labels[test], data.class_names)
