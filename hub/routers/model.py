"""The classifier's trained models over the named features of
hub.routers.features, stored as JSON beside this module.

The type model is a network with one hidden layer of rectified units: by
5-fold cross-validation on the dev part it read about one message in a
hundred more right than logistic regression over the same features, by
combining concepts ("a fault" and "after the workshop's work"). The safety
flag's model is multinomial logistic regression (a network did no better
there). `hub train` (hub.routers.train) fits both on the corpus's dev part;
scoring needs numpy, never scikit-learn."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Self

import numpy as np
import orjson

MODEL_FILE = Path(__file__).with_name("model.json")
# The safety flag's learned half: classes ("other", "safety"), read beside the phrase rules.
SAFETY_MODEL_FILE = Path(__file__).with_name("safety_model.json")


class _Stored:
    """Both kinds are JSON files read through their own `from_dict`."""

    @classmethod
    def from_json(cls, raw: bytes) -> Self:
        return cls.from_dict(orjson.loads(raw))


@dataclass(frozen=True)
class LinearModel(_Stored):
    classes: tuple[str, ...]
    intercept: tuple[float, ...]
    weights: dict[str, tuple[float, ...]]  # feature -> one weight per class
    meta: dict

    def scores(self, features: dict[str, float]) -> list[float]:
        totals = list(self.intercept)
        for name, value in features.items():
            w = self.weights.get(name)
            if w is not None:
                for i, wi in enumerate(w):
                    totals[i] += wi * value
        return totals

    def probabilities(self, features: dict[str, float]) -> dict[str, float]:
        scores = self.scores(features)
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        return {c: e / total for c, e in zip(self.classes, exps, strict=True)}

    def contributions(self, features: dict[str, float], class_: str) -> list[tuple[str, float]]:
        """Features that pushed towards `class_` more than towards the others, strongest first."""
        i = self.classes.index(class_)
        out = []
        for name, value in features.items():
            w = self.weights.get(name)
            if w is not None:
                others = (sum(w) - w[i]) / (len(w) - 1)
                out.append((name, (w[i] - others) * value))
        return sorted((c for c in out if c[1] > 0), key=lambda c: c[1], reverse=True)

    @property
    def feature_count(self) -> int:
        return len(self.weights)

    def to_json(self) -> bytes:
        return orjson.dumps({"classes": self.classes, "intercept": self.intercept,
                             "weights": self.weights, "meta": self.meta},
                            option=orjson.OPT_SORT_KEYS)

    @classmethod
    def from_dict(cls, d: dict) -> LinearModel:
        classes = tuple(d["classes"])
        weights = {k: tuple(v) for k, v in d["weights"].items()}
        if any(len(v) != len(classes) for v in weights.values()) or \
                len(d["intercept"]) != len(classes):
            raise ValueError("model file: every weight vector needs one value per class")
        return cls(classes, tuple(d["intercept"]), weights, d.get("meta", {}))


class NetModel(_Stored):
    """Softmax over one hidden layer of rectified units. Only the features a
    message has are read: their rows of the first layer, summed."""

    def __init__(self, classes: tuple[str, ...], features: tuple[str, ...],
                 hidden: np.ndarray, hidden_bias: np.ndarray, out: np.ndarray,
                 out_bias: np.ndarray, meta: dict) -> None:
        if hidden.shape != (len(features), len(hidden_bias)) or \
                out.shape != (len(hidden_bias), len(classes)) or len(out_bias) != len(classes):
            raise ValueError("model file: layer shapes do not fit the features and classes")
        self.classes, self.features, self.meta = classes, features, meta
        self.hidden, self.hidden_bias, self.out, self.out_bias = hidden, hidden_bias, out, out_bias
        self._index = {name: i for i, name in enumerate(features)}

    @property
    def feature_count(self) -> int:
        return len(self.features)

    def _active(self, features: dict[str, float]) -> tuple[list[str], list[int], np.ndarray]:
        names = [n for n in features if n in self._index]
        return names, [self._index[n] for n in names], np.array([features[n] for n in names])

    def probabilities(self, features: dict[str, float]) -> dict[str, float]:
        _, rows, values = self._active(features)
        hidden = values @ self.hidden[rows] + self.hidden_bias
        scores = np.maximum(hidden, 0.0) @ self.out + self.out_bias
        exps = np.exp(scores - scores.max())
        return dict(zip(self.classes, (exps / exps.sum()).tolist(), strict=True))

    def contributions(self, features: dict[str, float], class_: str) -> list[tuple[str, float]]:
        """Features that pushed towards `class_` more than towards the others, strongest
        first: each feature's value times its gradient through the units it switched on
        (exact for this message, since a rectified unit is linear where it is on)."""
        names, rows, values = self._active(features)
        block = self.hidden[rows]
        on = values @ block + self.hidden_bias > 0
        i = self.classes.index(class_)
        towards = self.out[on, i] - (self.out[on].sum(axis=1) - self.out[on, i]) / (
            len(self.classes) - 1)
        pushes = values * (block[:, on] @ towards)
        out = [(n, float(p)) for n, p in zip(names, pushes, strict=True) if p > 0]
        return sorted(out, key=lambda c: c[1], reverse=True)

    def to_json(self) -> bytes:
        return orjson.dumps({"kind": "relu", "classes": self.classes, "features": self.features,
                             "hidden": self.hidden.round(5).tolist(),
                             "hidden_bias": self.hidden_bias.round(5).tolist(),
                             "out": self.out.round(5).tolist(),
                             "out_bias": self.out_bias.round(5).tolist(), "meta": self.meta},
                            option=orjson.OPT_SORT_KEYS)

    @classmethod
    def from_dict(cls, d: dict) -> NetModel:
        features, classes = tuple(d["features"]), tuple(d["classes"])
        hidden_bias = np.array(d["hidden_bias"], dtype=float)
        return cls(classes, features,
                   _matrix(d["hidden"], len(features), len(hidden_bias)), hidden_bias,
                   _matrix(d["out"], len(hidden_bias), len(classes)),
                   np.array(d["out_bias"], dtype=float), d.get("meta", {}))


def _matrix(rows: list, height: int, width: int) -> np.ndarray:
    try:
        matrix = np.array(rows, dtype=float).reshape(-1, width)
    except ValueError:  # ragged rows
        matrix = None
    if matrix is None or matrix.shape != (height, width) or (rows and len(rows[0]) != width):
        raise ValueError("model file: layer shapes do not fit the features and classes")
    return matrix


Model = LinearModel | NetModel


def read_model(raw: bytes) -> Model:
    d = orjson.loads(raw)
    kinds = {"linear": LinearModel, "relu": NetModel}
    kind = d.get("kind", "linear")
    if kind not in kinds:
        raise ValueError(f"model file: unknown kind {kind!r}")
    return kinds[kind].from_dict(d)


@cache
def load_model(path: Path = MODEL_FILE) -> Model:
    return read_model(path.read_bytes())
