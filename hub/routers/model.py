"""The classifier's trained model: multinomial logistic regression over the
named features of hub.routers.features, stored as JSON beside this module.

Scoring is a sparse dot product in plain Python (no scikit-learn, no numpy
at run time); `hub train` (hub.routers.train) fits it on the corpus's dev
part and writes the file. The safety flag's model is the same kind of file
with two classes."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import orjson

MODEL_FILE = Path(__file__).with_name("model.json")
# The safety flag's learned half: classes ("other", "safety"), read beside the phrase rules.
SAFETY_MODEL_FILE = Path(__file__).with_name("safety_model.json")


@dataclass(frozen=True)
class LinearModel:
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

    def to_json(self) -> bytes:
        return orjson.dumps({"classes": self.classes, "intercept": self.intercept,
                             "weights": self.weights, "meta": self.meta},
                            option=orjson.OPT_SORT_KEYS)

    @classmethod
    def from_json(cls, raw: bytes) -> LinearModel:
        d = orjson.loads(raw)
        classes = tuple(d["classes"])
        weights = {k: tuple(v) for k, v in d["weights"].items()}
        if any(len(v) != len(classes) for v in weights.values()) or \
                len(d["intercept"]) != len(classes):
            raise ValueError("model file: every weight vector needs one value per class")
        return cls(classes, tuple(d["intercept"]), weights, d.get("meta", {}))


@cache
def load_model(path: Path = MODEL_FILE) -> LinearModel:
    return LinearModel.from_json(path.read_bytes())
