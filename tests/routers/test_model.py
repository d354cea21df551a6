"""The shipped model: a pure-Python linear model that must match what
`hub train` fits from the current corpus and feature code."""

from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from hub.cli import main
from hub.evaluation import load
from hub.routers.features import features, flag_text
from hub.routers.model import MODEL_FILE, SAFETY_MODEL_FILE, LinearModel, load_model
from hub.routers.train import fingerprint, fit, fit_safety, training_rows

CORPUS = Path(__file__).parents[1] / "data" / "corpus"


def tiny() -> LinearModel:
    return LinearModel(classes=("a", "b"), intercept=(0.0, 0.0),
                       weights={"x": (2.0, -2.0), "y": (0.0, 1.0)}, meta={})


def test_probabilities_are_a_softmax_over_present_features():
    m = tiny()
    p = m.probabilities({"x": 1.0, "unknown": 5.0})
    assert p["a"] == pytest.approx(1 / (1 + pow(2.718281828459045, -4)))
    assert sum(p.values()) == pytest.approx(1.0)
    assert m.probabilities({}) == {"a": 0.5, "b": 0.5}


def test_contributions_name_what_pushed_towards_a_class():
    assert [name for name, _ in tiny().contributions({"x": 1.0, "y": 1.0}, "b")] == ["y"]


def test_model_file_round_trips_and_rejects_ragged_weights():
    m = tiny()
    assert LinearModel.from_json(m.to_json()) == m
    bad = orjson.loads(m.to_json())
    bad["weights"]["x"] = [1.0]
    with pytest.raises(ValueError, match="one value per class"):
        LinearModel.from_json(orjson.dumps(bad))


def test_shipped_model_was_trained_on_the_current_corpus_and_feature_code():
    # Editing the corpus, the concepts or the lexicon without `hub train` fails here.
    trained_on = fingerprint(load(CORPUS))
    assert load_model().meta["trained_on"] == trained_on, "run `bin/hub train`"
    assert load_model(SAFETY_MODEL_FILE).meta["trained_on"] == trained_on, "run `bin/hub train`"


def test_training_uses_the_dev_part_only():
    rows = training_rows(load(CORPUS))
    assert rows and not any(s.heldout for s in rows)
    assert all(s.trigger in (None, "voice") for s in rows)


def test_refitting_reproduces_the_shipped_model():
    samples = load(CORPUS)
    refit, shipped = fit(samples), load_model()
    assert refit.classes == shipped.classes
    for s in samples:  # the same decisions on every message, held-out included
        f = features(s.event())
        a, b = refit.probabilities(f), shipped.probabilities(f)
        assert max(a, key=a.get) == max(b, key=b.get)
        assert a == pytest.approx(b, abs=1e-3)


def test_refitting_reproduces_the_shipped_safety_model():
    samples = load(CORPUS)
    refit, shipped = fit_safety(samples), load_model(SAFETY_MODEL_FILE)
    assert refit.classes == shipped.classes == ("other", "safety")
    for s in samples:
        f = features(s.event(), flag_text(s.event()))
        assert refit.probabilities(f)["safety"] == \
            pytest.approx(shipped.probabilities(f)["safety"], abs=1e-3)


def test_hub_train_writes_loadable_models(tmp_path):
    out, safety_out = tmp_path / "model.json", tmp_path / "safety.json"
    shipped = MODEL_FILE.read_bytes(), SAFETY_MODEL_FILE.read_bytes()
    result = CliRunner().invoke(main, ["train", "--corpus", str(CORPUS), "--out", str(out),
                                       "--safety-out", str(safety_out)])
    assert result.exit_code == 0, result.output
    assert result.output.count("fingerprint") == 2
    for path in (out, safety_out):
        model = LinearModel.from_json(path.read_bytes())
        assert model.meta["trained_on"] == fingerprint(load(CORPUS))
    # --out and --safety-out leave the shipped files alone
    assert (MODEL_FILE.read_bytes(), SAFETY_MODEL_FILE.read_bytes()) == shipped
