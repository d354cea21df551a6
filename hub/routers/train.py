"""``hub train``: fit the classifier's models on the corpus's dev part.

Only the dev part: the held-out part stays unseen so `hub eval` can say how
the model does on messages it never met. Rows with a deterministic vehicle
trigger are left out (the classifier never asks the model about them).
Needs scikit-learn (the `train` extra); the worker does not."""

from __future__ import annotations

import hashlib
import warnings
from collections import Counter
from pathlib import Path

from hub.evaluation import Sample
from hub.routers import concepts, features, lexicon
from hub.routers.features import features as features_of
from hub.routers.features import flag_text
from hub.routers.model import LinearModel, NetModel

C = 4.0  # inverse regularization, chosen by 5-fold cross-validation on the dev part
PRUNE_BELOW = 1e-4  # weights this small change no decision; keeps the file small
# The type network, by 5-fold cross-validation on the dev part: 32 units scored like
# 64 or 128 and like five networks averaged; a feature met in one training message
# only is that message memorized (dropping them halves the file, costs nothing).
HIDDEN_UNITS = 32
ALPHA = 1e-3  # L2 penalty
MIN_MESSAGES = 2
SEED = 0  # the fit must be reproducible: tests refit and compare


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


def _vectorize(rows: list[Sample], featurize=features_of, min_messages: int = 1):
    """Feature names and the sparse matrix of `rows`, keeping features met in at
    least `min_messages` of them."""
    from sklearn.feature_extraction import DictVectorizer

    x = [featurize(s.event()) for s in rows]
    seen = Counter(name for row in x for name in row)
    vectorizer = DictVectorizer()
    matrix = vectorizer.fit_transform(
        [{k: v for k, v in row.items() if seen[k] >= min_messages} for row in x])
    return [str(n) for n in vectorizer.get_feature_names_out()], matrix


def fit(samples: list[Sample]) -> NetModel:
    """The message type: complaint, inquiry, repair or rescue."""
    import sklearn
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    rows = training_rows(samples)
    names, matrix = _vectorize(rows, min_messages=MIN_MESSAGES)
    net = MLPClassifier((HIDDEN_UNITS,), alpha=ALPHA, max_iter=300, random_state=SEED)
    with warnings.catch_warnings():  # adam stops at max_iter a hair short of its tolerance
        warnings.simplefilter("ignore", ConvergenceWarning)
        net.fit(matrix, [s.type for s in rows])
    return NetModel(
        classes=tuple(str(c) for c in net.classes_), features=tuple(names),
        hidden=net.coefs_[0].round(5), hidden_bias=net.intercepts_[0].round(5),
        out=net.coefs_[1].round(5), out_bias=net.intercepts_[1].round(5),
        meta={"trained_on": fingerprint(samples), "rows": len(rows),
              "hidden_units": HIDDEN_UNITS, "alpha": ALPHA, "min_messages": MIN_MESSAGES,
              "sklearn": sklearn.__version__})


def fit_safety(samples: list[Sample]) -> LinearModel:
    """Whether the labels flag safety: classes "other" and "safety", read from the
    text the flags read (false friends blanked)."""
    import sklearn
    from sklearn.linear_model import LogisticRegression

    rows = training_rows(samples)
    names, matrix = _vectorize(rows, lambda e: features_of(e, flag_text(e)))
    labels = ["safety" if "safety" in s.flags else "other" for s in rows]
    clf = LogisticRegression(C=C, max_iter=5000).fit(matrix, labels)
    # sklearn keeps one row for two classes: as a softmax over ("other", "safety"), (0, w)
    coef, intercept = clf.coef_[0], clf.intercept_[0]
    rounded = {name: round(float(w), 5) for name, w in zip(names, coef, strict=True)}
    weights = {name: (0.0, w) for name, w in rounded.items() if abs(w) >= PRUNE_BELOW}
    return LinearModel(
        classes=tuple(str(c) for c in clf.classes_), intercept=(0.0, round(float(intercept), 5)),
        weights=weights,
        meta={"trained_on": fingerprint(samples), "rows": len(rows), "C": C,
              "sklearn": sklearn.__version__})
