import pytest

from hub.errors import ConfigError
from hub.settings import load_settings


def test_dev_defaults_work_without_configuration(monkeypatch):
    for key in ("HUB_KAFKA_BOOTSTRAP", "HUB_ENV", "HUB_CONFIG"):
        monkeypatch.delenv(key, raising=False)
    s = load_settings()
    assert s.embedded and s.http_port == 8080 and s.smtp_port == 2525
    assert s.source_secret("hotline").startswith("whsec_")


def test_production_refuses_dev_secrets(monkeypatch):
    monkeypatch.setenv("HUB_ENV", "production")
    monkeypatch.setenv("HUB_KAFKA_BOOTSTRAP", "kafka:9092")
    with pytest.raises(ConfigError, match="HUB_PUSH_TOKEN"):
        load_settings()


def test_source_secrets_from_json_and_toml_file(monkeypatch, tmp_path):
    monkeypatch.setenv("HUB_SOURCE_SECRETS", '{"hotline": "whsec_c2VjcmV0"}')
    assert load_settings().source_secret("hotline") == "whsec_c2VjcmV0"
    assert load_settings().source_secret("web").startswith("whsec_")  # others keep dev values
    config = tmp_path / "hub.toml"
    config.write_text('http_port = 9000\nsla_scale = 0.5\n')
    monkeypatch.setenv("HUB_CONFIG", str(config))
    monkeypatch.setenv("HUB_HTTP_PORT", "9100")
    s = load_settings()
    assert s.sla_scale == 0.5 and s.http_port == 9100  # the environment wins over the file


def test_public_url_defaults_to_the_gateway_host_and_port(monkeypatch):
    for key in ("HUB_PUBLIC_URL", "HUB_HTTP_HOST", "HUB_CONFIG"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HUB_HTTP_PORT", "9311")
    assert load_settings().public_url == "http://127.0.0.1:9311"
    monkeypatch.setenv("HUB_HTTP_HOST", "0.0.0.0")  # noqa: S104 - a wildcard bind
    assert load_settings().public_url == "http://127.0.0.1:9311"
    monkeypatch.setenv("HUB_HTTP_HOST", "::")
    assert load_settings().public_url == "http://[::1]:9311"
    monkeypatch.setenv("HUB_HTTP_HOST", "hub.internal")
    assert load_settings().public_url == "http://hub.internal:9311"
    monkeypatch.setenv("HUB_PUBLIC_URL", "https://cs.example.cn")  # set: taken as it is
    assert load_settings().public_url == "https://cs.example.cn"


def test_bad_values_are_config_errors(monkeypatch):
    monkeypatch.setenv("HUB_SOURCE_SECRETS", "not json")
    with pytest.raises(ConfigError, match="source_secrets"):
        load_settings()
    monkeypatch.delenv("HUB_SOURCE_SECRETS")
    monkeypatch.setenv("HUB_SLA_SCALE", "0")
    with pytest.raises(ConfigError, match="sla_scale"):
        load_settings()
