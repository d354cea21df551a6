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
from hub.routers.features import flag_text
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
        h.update(repr((s.channel, s.text, s.type, s.flags, s.ivr, s.topic, s.trigger)).encode())
    for module in (concepts, features, lexicon):
        h.update(Path(module.__file__).read_bytes())
    return h.hexdigest()[:16]


def _fit(samples: list[Sample], label, featurize=features_of) -> LinearModel:
    import sklearn
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    rows = training_rows(samples)
    vectorizer = DictVectorizer()
    x = vectorizer.fit_transform([featurize(s.event()) for s in rows])
    clf = LogisticRegression(C=C, max_iter=5000).fit(x, [label(s) for s in rows])
    coef, intercept, classes = clf.coef_, clf.intercept_, [str(c) for c in clf.classes_]
    if len(classes) == 2:  # sklearn keeps one row for two classes: as a softmax, (0, w)
        coef, intercept = [[0.0] * coef.shape[1], coef[0]], [0.0, intercept[0]]
    weights = {}
    for j, name in enumerate(vectorizer.get_feature_names_out()):
        w = tuple(round(float(coef[i][j]), 5) for i in range(len(classes)))
        if max(abs(v) for v in w) >= PRUNE_BELOW:
            weights[str(name)] = w
    return LinearModel(
        classes=tuple(classes),
        intercept=tuple(round(float(v), 5) for v in intercept),
        weights=weights,
        meta={"trained_on": fingerprint(samples), "rows": len(rows), "C": C,
              "sklearn": sklearn.__version__})


def fit(samples: list[Sample]) -> LinearModel:
    """The message type: complaint, inquiry, repair or rescue."""
    return _fit(samples, lambda s: s.type)


def fit_safety(samples: list[Sample]) -> LinearModel:
    """Whether the labels flag safety: classes "other" and "safety"."""
    return _fit(samples, lambda s: "safety" if "safety" in s.flags else "other",
                lambda e: features_of(e, flag_text(e)))
