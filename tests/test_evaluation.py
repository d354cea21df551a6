from pathlib import Path
from typing import get_args

from hub.evaluation import Sample, evaluate, load, render
from hub.event import Category

CORPUS = Path(__file__).parent / "data" / "corpus"


def test_corpus_is_labelled_with_contract_values():
    samples = load(CORPUS)
    assert len(samples) >= 400
    assert {s.type for s in samples} == {"complaint", "inquiry", "repair", "rescue"}
    assert {f for s in samples for f in s.flags} <= {"safety", "media", "legal", "regulator",
                                                     "opt_out"}
    assert {s.category for s in samples} - {None} == set(get_args(Category))
    assert {s.channel for s in samples} == {"sms", "wechat", "hotline", "web", "email", "qr",
                                            "telematics"}


def test_held_out_split_is_stable_and_about_thirty_percent():
    samples = load(CORPUS)
    held = [s.text for s in samples if s.heldout]
    assert held == [s.text for s in load(CORPUS) if s.heldout]
    assert 0.2 < len(held) / len(samples) < 0.4


def test_report_adds_up():
    samples = load(CORPUS)
    r = evaluate(samples)
    assert sum(r.confusion.values()) == r.n == len(samples)
    assert len(r.errors) == r.n - round(r.accuracy * r.n)
    assert sum(n for _, _, n in r.per_type.values()) == r.n


def test_flag_precision_counts_every_flag_given():
    samples = [s for s in load(CORPUS) if s.heldout][:60]
    r = evaluate(samples)
    assert set(r.flag_precision) <= {"safety", "media", "legal", "regulator", "opt_out"}
    assert all(0 <= v <= 1 for v in r.flag_precision.values())


def test_category_accuracy_counts_only_labelled_rows():
    rows = [Sample("sms", "等配件等了四十天了 太过分了 我要投诉", "complaint", [],
                   category="parts"),
            Sample("sms", "延保怎么买", "inquiry", [], category="sales"),  # wrong on purpose
            Sample("sms", "你们店几点下班", "inquiry", [])]
    r = evaluate(rows)
    assert r.category == (0.5, 2)
    assert "category accuracy: 50% (n=2 labelled)" in render("x", r)


def test_each_sample_can_be_judged_by_models_of_its_own():
    """Cross-validation (bench/classify_cv.py) passes the models of each fold."""
    from hub.event import TYPES
    from hub.routers.model import LinearModel

    always_repair = LinearModel(TYPES, (0.0, 0.0, 9.0, 0.0), {}, {})
    never_safety = LinearModel(("other", "safety"), (0.0, -9.0), {}, {})
    rows = [Sample("sms", "随便说点什么", "repair", ["safety"]),
            Sample("sms", "再随便说点", "inquiry", [])]
    asked = []

    def models(s: Sample):
        asked.append(s.text)
        return always_repair, never_safety

    r = evaluate(rows, models)
    assert asked == [s.text for s in rows]
    assert r.confusion == {("repair", "repair"): 1, ("inquiry", "repair"): 1}
    assert r.flag_recall["safety"] == (0.0, 1)
