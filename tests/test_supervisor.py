"""What `hub up` hands its parts: the embedded broker's settings, not a cluster's."""

from __future__ import annotations

from hub.kafka.embedded import EmbeddedBroker
from hub.settings import Settings, load_settings
from hub.supervisor import child_env


def _child(monkeypatch, tmp_path, data_dir=True, **env: str) -> tuple[Settings, dict]:
    for name in ("HUB_KAFKA_BOOTSTRAP", "HUB_KAFKA_SESSION_TIMEOUT_S", "HUB_FETCH_WAIT_MS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    broker = EmbeddedBroker(19092, data_dir=tmp_path / "broker" if data_dir else None)
    return settings, child_env(settings, broker)


def test_parts_on_the_embedded_broker_get_its_short_session_not_a_clusters(monkeypatch,
                                                                           tmp_path):
    _, env = _child(monkeypatch, tmp_path)
    assert env["HUB_KAFKA_BOOTSTRAP"] == "127.0.0.1:19092"
    # Told a bootstrap, a part would otherwise take the 30 s cluster session.
    assert load_settings(**{"kafka_bootstrap": env["HUB_KAFKA_BOOTSTRAP"]}
                         ).session_timeout_s == 30.0
    assert float(env["HUB_KAFKA_SESSION_TIMEOUT_S"]) == 6.0
    assert env["HUB_FETCH_WAIT_MS"] == "200"


def test_memory_only_parts_keep_the_embedded_fetch_wait(monkeypatch, tmp_path):
    _, env = _child(monkeypatch, tmp_path, data_dir=False)
    assert env["HUB_FETCH_WAIT_MS"] == "10"


def test_what_the_user_set_is_kept(monkeypatch, tmp_path):
    _, env = _child(monkeypatch, tmp_path, HUB_KAFKA_SESSION_TIMEOUT_S="12",
                    HUB_FETCH_WAIT_MS="80")
    assert env["HUB_KAFKA_SESSION_TIMEOUT_S"] == "12"
    assert env["HUB_FETCH_WAIT_MS"] == "80"


def test_on_a_named_cluster_the_environment_is_left_alone(monkeypatch, tmp_path):
    monkeypatch.delenv("HUB_KAFKA_SESSION_TIMEOUT_S", raising=False)
    monkeypatch.setenv("HUB_KAFKA_BOOTSTRAP", "kafka-0:9092")
    env = child_env(load_settings(), None)
    assert env["HUB_KAFKA_BOOTSTRAP"] == "kafka-0:9092"
    assert "HUB_KAFKA_SESSION_TIMEOUT_S" not in env
