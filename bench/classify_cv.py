"""K-fold cross-validation on the corpus's dev part only: the figure to tune
against (the held-out part is for `hub eval`, never for choosing). Each fold
fits the type and safety models as `hub train` does and classifies the rest
through `classify()` and `flags_for()`, rescue bias and safety phrases
included. Needs the `train` extra.

With `--fractions`, each fold trains on only the first part of its training
rows as well: a learning curve, to tell whether more corpus would still pay.

    .venv/bin/python bench/classify_cv.py [--folds 5] [--seeds 7 11] [--fractions 0.25 0.5 1]
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.evaluation import Report, Sample, evaluate, load  # noqa: E402
from hub.event import TYPES  # noqa: E402
from hub.routers.train import fit, fit_safety, training_rows  # noqa: E402

CORPUS = Path(__file__).resolve().parent.parent / "tests/data/corpus"


def cross_validate(rows: list[Sample], k: int, seed: int,
                   fitted: Callable[[list[Sample], list[Sample]], Callable]) -> Report:
    """`fitted(train, test)` gives the models callback (see hub.evaluation.evaluate)
    that judges the rows of `test`."""
    shuffled = rows[:]
    random.Random(seed).shuffle(shuffled)
    judge = {}  # each sample is judged by what was fitted without it
    for i in range(k):
        test = shuffled[i::k]
        models = fitted([s for j, s in enumerate(shuffled) if j % k != i], test)
        judge.update((id(s), models) for s in test)
    return evaluate(shuffled, lambda s: judge[id(s)](s))


def summary(r: Report) -> str:
    return (f"type accuracy {r.accuracy:.1%} (n={r.n}), rescue recall "
            f"{r.per_type['rescue'][1]:.1%}, safety flag recall {r.flag_recall['safety'][0]:.1%} "
            f"precision {r.flag_precision['safety']:.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seeds", type=int, nargs="+", default=[7, 11],
                        help="one shuffle per seed; folds differ, so does the figure")
    parser.add_argument("--fractions", type=float, nargs="+", default=[1.0],
                        help="train each fold on this share of its training rows")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    rows = training_rows(load(args.corpus))
    for seed in args.seeds:
        for fraction in args.fractions:
            def fitted(train: list[Sample], _test: list[Sample], fraction: float = fraction):
                part = train[:int(len(train) * fraction)]
                models = fit(part), fit_safety(part)
                return lambda _s: models
            r = cross_validate(rows, args.folds, seed, fitted)
            trained_on = int(len(rows) * (args.folds - 1) / args.folds * fraction)
            print(f"seed {seed}: {args.folds}-fold, ~{trained_on} training rows: {summary(r)}")
            if fraction == 1.0:
                for a in TYPES:
                    print(f"  {a:<10}" + "".join(f"{r.confusion.get((a, b), 0):>6}"
                                               for b in TYPES))


if __name__ == "__main__":
    main()
