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
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.evaluation import load  # noqa: E402
from hub.routers.classify import classify, flags_for  # noqa: E402
from hub.routers.train import fit, fit_safety, training_rows  # noqa: E402

TYPES = ("complaint", "inquiry", "repair", "rescue")


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
        confusion: Counter[tuple[str, str]] = Counter()
        safety: Counter[tuple[bool, bool]] = Counter()  # (labelled, flagged)
        for k in range(args.folds):
            train = [s for i, s in enumerate(shuffled) if i % args.folds != k]
            model, safety_model = fit(train), fit_safety(train)
            for s in shuffled[k::args.folds]:
                event = s.event()
                confusion[s.type, classify(event, model=model).type] += 1
                safety["safety" in s.flags,
                       "safety" in flags_for(event, safety_model=safety_model)] += 1
        right = sum(n for (a, b), n in confusion.items() if a == b)
        rescue = sum(confusion["rescue", b] for b in TYPES)
        hit = safety[True, True]
        print(f"seed {seed}: {args.folds}-fold type accuracy {right / len(rows):.1%} "
              f"(n={len(rows)}), rescue recall {confusion['rescue', 'rescue'] / rescue:.1%}, "
              f"safety flag recall {hit / (hit + safety[True, False]):.1%} "
              f"precision {hit / (hit + safety[False, True]):.1%}")
        for a in TYPES:
            print(f"  {a:<10}" + "".join(f"{confusion[a, b]:>6}" for b in TYPES))


if __name__ == "__main__":
    main()
