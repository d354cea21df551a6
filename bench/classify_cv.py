"""K-fold cross-validation on the corpus's dev part only: the figure to tune
against (the held-out part is for `hub eval`, never for choosing). Each fold
fits the type and safety models as `hub train` does and classifies the rest
through `classify()` and `flags_for()`, rescue bias and safety phrases
included. Needs the `train` extra.

    .venv/bin/python bench/classify_cv.py [--folds 5] [--seeds 7 11]
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.evaluation import evaluate, load  # noqa: E402
from hub.event import TYPES  # noqa: E402
from hub.routers.train import fit, fit_safety, training_rows  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seeds", type=int, nargs="+", default=[7, 11],
                        help="one shuffle per seed; folds differ, so does the figure")
    parser.add_argument("--corpus", type=Path,
                        default=Path(__file__).resolve().parent.parent / "tests/data/corpus")
    args = parser.parse_args()
    rows = training_rows(load(args.corpus))
    for seed in args.seeds:
        shuffled = rows[:]
        random.Random(seed).shuffle(shuffled)
        fitted_for = {}  # each sample is judged by the models of the fold it was left out of
        for k in range(args.folds):
            train = [s for i, s in enumerate(shuffled) if i % args.folds != k]
            fitted = fit(train), fit_safety(train)
            fitted_for.update((id(s), fitted) for s in shuffled[k::args.folds])
        r = evaluate(shuffled, lambda s, table=fitted_for: table[id(s)])
        print(f"seed {seed}: {args.folds}-fold type accuracy {r.accuracy:.1%} "
              f"(n={r.n}), rescue recall {r.per_type['rescue'][1]:.1%}, "
              f"safety flag recall {r.flag_recall['safety'][0]:.1%} "
              f"precision {r.flag_precision['safety']:.1%}")
        for a in TYPES:
            print(f"  {a:<10}" + "".join(f"{r.confusion.get((a, b), 0):>6}" for b in TYPES))


if __name__ == "__main__":
    main()
