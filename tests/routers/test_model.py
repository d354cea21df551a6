"""The shipped models (a one-layer network for the type, logistic regression
for the safety flag) must match what `hub train` fits from the current corpus
and feature code."""

from pathlib import Path

import numpy as np
import orjson
import pytest
from click.testing import CliRunner

from hub.cli import main
from hub.evaluation import load
from hub.routers.features import features, flag_text
from hub.routers.model import (
    MODEL_FILE,
    SAFETY_MODEL_FILE,
    LinearModel,
    NetModel,
    load_model,
    read_model,
)
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


def tiny_net() -> NetModel:
    # unit 0 fires on "x" and votes "a"; unit 1 fires on "y" and votes "b"
    return NetModel(classes=("a", "b"), features=("x", "y"),
                    hidden=np.array([[1.0, 0.0], [0.0, 1.0]]), hidden_bias=np.zeros(2),
                    out=np.array([[2.0, -2.0], [-1.0, 1.0]]), out_bias=np.zeros(2), meta={})


def test_network_is_a_softmax_over_rectified_units():
    m = tiny_net()
    assert m.probabilities({}) == {"a": 0.5, "b": 0.5}
    p = m.probabilities({"x": 1.0, "unknown": 5.0})
    assert p["a"] == pytest.approx(1 / (1 + np.exp(-4)))
    # a unit driven below zero contributes nothing, not a negative vote
    assert m.probabilities({"x": -3.0}) == {"a": 0.5, "b": 0.5}


def test_network_contributions_follow_the_units_a_feature_switched_on():
    m = tiny_net()
    assert [n for n, _ in m.contributions({"x": 1.0, "y": 1.0}, "a")] == ["x"]
    assert [n for n, _ in m.contributions({"x": 1.0, "y": 1.0}, "b")] == ["y"]
    assert m.contributions({"x": -1.0}, "a") == []


def test_network_file_round_trips_and_rejects_misshapen_layers():
    m = tiny_net()
    back = read_model(m.to_json())
    assert isinstance(back, NetModel)
    assert back.probabilities({"x": 0.3, "y": 0.5}) == pytest.approx(
        m.probabilities({"x": 0.3, "y": 0.5}))
    for layer, rows in (("out", [[1.0, 2.0, 3.0]]), ("hidden", [[1.0, 0.0, 0.0, 1.0]])):
        bad = orjson.loads(m.to_json())
        bad[layer] = rows  # too few numbers; the right count in the wrong shape
        with pytest.raises(ValueError, match="layer shapes"):
            read_model(orjson.dumps(bad))
    bad = orjson.loads(m.to_json())
    bad["kind"] = "forest"
    with pytest.raises(ValueError, match="unknown kind 'forest'"):
        read_model(orjson.dumps(bad))
    assert isinstance(read_model(tiny().to_json()), LinearModel)


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
    assert isinstance(read_model(out.read_bytes()), NetModel)
    assert isinstance(read_model(safety_out.read_bytes()), LinearModel)
    for path in (out, safety_out):
        model = read_model(path.read_bytes())
        assert model.meta["trained_on"] == fingerprint(load(CORPUS))
    # --out and --safety-out leave the shipped files alone
    assert (MODEL_FILE.read_bytes(), SAFETY_MODEL_FILE.read_bytes()) == shipped
