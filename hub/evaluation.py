"""``hub eval``: the classifier against the labelled corpus (tests/data/corpus).

Each line: ``{"ch": channel, "t": text, "y": type, "f": [flags], "c": category?,
"ivr": key?, "topic": web dropdown?}`` (tests/data/corpus/GUIDE.md). The held-out
part (a stable 30% chosen by a hash of the text) is never trained or tuned on:
report it, train and tune on ``dev``."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson

from hub.event import TYPES, Context, Event, Telematics
from hub.routers.classify import classify, flags_for
from hub.routers.model import Model

FLAGS = ("safety", "media", "legal", "regulator", "opt_out")


@dataclass
class Sample:
    channel: str
    text: str
    type: str
    flags: list[str]
    ivr: str | None = None
    topic: str | None = None
    trigger: str | None = None  # telematics rows: voice assistant text or a vehicle trigger
    alarm_level: int | None = None
    category: str | None = None  # labelled on some rounds only

    @property
    def heldout(self) -> bool:
        # Text-only rows keep the split they always had; trigger rows add the trigger.
        key = f"{self.text}|{self.trigger}|{self.alarm_level}" if self.trigger else self.text
        return hashlib.sha1(key.encode()).digest()[0] % 10 < 3  # noqa: S324 - a split

    def event(self) -> Event:
        return Event(event_id="eval", channel=self.channel, source=self.channel,
                     channel_message_id="eval", received_at=datetime(2026, 11, 22, tzinfo=UTC),
                     text=self.text, context=Context(ivr_path=[self.ivr] if self.ivr else [],
                                                     topic_hint=self.topic),
                     telematics=Telematics(trigger=self.trigger, alarm_level=self.alarm_level)
                     if self.trigger else None)


def load(corpus: Path) -> list[Sample]:
    samples = []
    for path in sorted(corpus.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                d = orjson.loads(line)
                samples.append(Sample(d["ch"], d["t"], d["y"], d.get("f", []), d.get("ivr"),
                                      d.get("topic"), d.get("trigger"), d.get("level"),
                                      d.get("c")))
    return samples


@dataclass
class Report:
    n: int
    accuracy: float
    per_type: dict[str, tuple[float, float, int]]  # precision, recall, support
    confusion: dict[tuple[str, str], int]
    flag_recall: dict[str, tuple[float, int]]
    flag_precision: dict[str, float]  # of the messages given the flag, how many were labelled so
    errors: list[tuple[Sample, str]]
    category: tuple[float, int] = (0.0, 0)  # accuracy over the rows with a category label


def evaluate(samples: list[Sample],
             models: Callable[[Sample], tuple[Model, Model]] | None = None) -> Report:
    """`models` gives the (type, safety) models to judge each sample with, for
    cross-validation; by default the shipped ones."""
    confusion: Counter[tuple[str, str]] = Counter()
    flag_hits: Counter[str] = Counter()
    flag_total: Counter[str] = Counter()
    flag_given: Counter[str] = Counter()
    errors = []
    categories = [0, 0]
    for s in samples:
        event = s.event()
        model, safety_model = models(s) if models else (None, None)
        flags = flags_for(event, safety_model=safety_model)
        decided = classify(event, model=model, flags=flags)
        predicted = decided.type
        confusion[(s.type, predicted)] += 1
        if s.category:
            categories[0] += decided.category == s.category
            categories[1] += 1
        if predicted != s.type:
            errors.append((s, predicted))
        got = set(flags)
        flag_given.update(got)
        for f in s.flags:
            flag_total[f] += 1
            flag_hits[f] += f in got
    per_type = {}
    for t in TYPES:
        tp = confusion[(t, t)]
        predicted = sum(v for (_, p), v in confusion.items() if p == t)
        actual = sum(v for (a, _), v in confusion.items() if a == t)
        per_type[t] = (tp / predicted if predicted else 0.0, tp / actual if actual else 0.0,
                       actual)
    n = len(samples)
    return Report(n, sum(confusion[(t, t)] for t in TYPES) / n if n else 0.0, per_type,
                  dict(confusion),
                  {f: (flag_hits[f] / flag_total[f], flag_total[f]) for f in FLAGS
                   if flag_total[f]},
                  {f: flag_hits[f] / flag_given[f] for f in FLAGS if flag_given[f]}, errors,
                  (categories[0] / categories[1] if categories[1] else 0.0, categories[1]))


def render(name: str, r: Report, show_errors: bool = False) -> str:
    lines = [f"== {name}: {r.n} messages, type accuracy {r.accuracy:.1%}",
             f"{'type':<11}{'precision':>10}{'recall':>8}{'n':>5}"]
    lines += [f"{t:<11}{p:>10.1%}{rc:>8.1%}{n:>5}" for t, (p, rc, n) in r.per_type.items()]
    lines.append("confusion (rows: labelled, columns: predicted)")
    lines.append(" " * 11 + "".join(f"{t[:9]:>10}" for t in TYPES))
    for a in TYPES:
        lines.append(f"{a:<11}" + "".join(f"{r.confusion.get((a, p), 0):>10}" for p in TYPES))
    lines.append("flag recall: " + ", ".join(f"{f} {v:.0%} (n={n})"
                                             for f, (v, n) in r.flag_recall.items()))
    lines.append("flag precision: " + ", ".join(f"{f} {v:.0%}"
                                                for f, v in r.flag_precision.items()))
    if r.category[1]:
        lines.append(f"category accuracy: {r.category[0]:.0%} (n={r.category[1]} labelled)")
    if show_errors:
        lines += [f"  {s.type:>9} -> {p:<9} [{s.channel}] {s.text[:60]}" for s, p in r.errors]
    return "\n".join(lines)
