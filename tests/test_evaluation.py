from pathlib import Path

from hub.evaluation import evaluate, load

CORPUS = Path(__file__).parent / "data" / "corpus"


def test_corpus_is_labelled_with_contract_values():
    samples = load(CORPUS)
    assert len(samples) >= 400
    assert {s.type for s in samples} == {"complaint", "inquiry", "repair", "rescue"}
    assert {f for s in samples for f in s.flags} <= {"safety", "media", "legal", "regulator",
                                                     "opt_out"}
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
