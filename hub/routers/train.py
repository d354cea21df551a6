"""``hub train``: fit the classifier's model on the corpus's dev part.

Only the dev part: the held-out part stays unseen so `hub eval` can say how
the model does on messages it never met. Rows with a deterministic vehicle
trigger are left out (the classifier never asks the model about them).
Needs scikit-learn (the `train` extra); the worker does not."""

from __future__ import annotations

import hashlib
from pathlib import Path

from hub.evaluation import Sample
from hub.routers import concepts, features, lexicon
from hub.routers.features import features as features_of
from hub.routers.model import LinearModel

C = 4.0  # inverse regularization, chosen by 5-fold cross-validation on the dev part
PRUNE_BELOW = 1e-4  # weights this small change no decision; keeps the file small


def training_rows(samples: list[Sample]) -> list[Sample]:
    return [s for s in samples
            if not s.heldout and (s.trigger is None or s.trigger == "voice")]


def fingerprint(samples: list[Sample]) -> str:
    """What the model was fitted from: the rows and the code that turns them into features."""
    h = hashlib.sha256()
    for s in training_rows(samples):
        h.update(repr((s.channel, s.text, s.type, s.ivr, s.topic, s.trigger)).encode())
    for module in (concepts, features, lexicon):
        h.update(Path(module.__file__).read_bytes())
    return h.hexdigest()[:16]


def fit(samples: list[Sample]) -> LinearModel:
    import sklearn
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    rows = training_rows(samples)
    vectorizer = DictVectorizer()
    x = vectorizer.fit_transform([features_of(s.event()) for s in rows])
    y = [s.type for s in rows]
    clf = LogisticRegression(C=C, max_iter=5000).fit(x, y)
    weights = {}
    for j, name in enumerate(vectorizer.get_feature_names_out()):
        w = tuple(round(float(clf.coef_[i, j]), 5) for i in range(len(clf.classes_)))
        if max(abs(v) for v in w) >= PRUNE_BELOW:
            weights[str(name)] = w
    return LinearModel(
        classes=tuple(str(c) for c in clf.classes_),
        intercept=tuple(round(float(v), 5) for v in clf.intercept_),
        weights=weights,
        meta={"trained_on": fingerprint(samples), "rows": len(rows), "C": C,
              "sklearn": sklearn.__version__})
