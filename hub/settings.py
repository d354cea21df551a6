"""The hub's settings: one model read from ``HUB_*`` environment variables and,
optionally, a TOML file named by ``HUB_CONFIG`` (same keys, lower case, no
prefix). The environment wins over the file.

Dev defaults let ``hub up`` run with nothing configured; with
``HUB_ENV=production`` every secret left at its dev value is a startup error.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from hub.errors import ConfigError

SIGNED_SOURCES = ("hotline", "web", "telematics", "email")

# Dev-only values: printed by `hub up`, refused in production.
DEV_SECRETS: dict[str, str] = {
    "wechat_token": "hubdevtoken",
    "wechat_aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    "wechat_appid": "wxdev0000000000000",
    "wechat_secret": "hubdevwechatsecret",
    "twilio_auth_token": "hubdevtwiliotoken",
    "push_token": "hubdevpushtoken",
    "qr_secret": "hubdevqrsecret",
    "aliyun_access_key_secret": "hubdevaliyunsecret",
    "tencent_secret_key": "hubdevtencentsecretkey",
    "erasure_key": "hubdeverasurekey",
}
# 32-byte keys "hub-dev-<source>-secret!!!…", base64; dev only.
DEV_SOURCE_SECRETS = {
    "hotline": "whsec_aHViLWRldi1ob3RsaW5lLXNlY3JldCEhISEhISEhISE=",
    "web": "whsec_aHViLWRldi13ZWItc2VjcmV0ISEhISEhISEhISEhISE=",
    "telematics": "whsec_aHViLWRldi10ZWxlbWF0aWNzLXNlY3JldCEhISEhISE=",
    "email": "whsec_aHViLWRldi1lbWFpbC1zZWNyZXQhISEhISEhISEhISE=",
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HUB_", extra="ignore")

    env: str = Field("dev", description="dev or production")
    kafka_bootstrap: str | None = Field(None, description="unset: the embedded broker")
    embedded_broker_port: int = Field(9092, description="port of the embedded broker (hub up)")
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    smtp_port: int = 2525
    public_url: str = Field(
        "", description="external base URL; default: the gateway's own http://host:port")

    wechat_token: SecretStr = SecretStr(DEV_SECRETS["wechat_token"])
    wechat_aes_key: SecretStr = SecretStr(DEV_SECRETS["wechat_aes_key"])
    wechat_appid: str = DEV_SECRETS["wechat_appid"]
    wechat_secret: SecretStr = SecretStr(DEV_SECRETS["wechat_secret"])
    twilio_auth_token: SecretStr = SecretStr(DEV_SECRETS["twilio_auth_token"])
    push_token: SecretStr = SecretStr(DEV_SECRETS["push_token"])
    source_secrets: dict[str, SecretStr] = Field(
        default_factory=lambda: {k: SecretStr(v) for k, v in DEV_SOURCE_SECRETS.items()},
        description="JSON object: source -> Standard Webhooks secret (whsec_...)",
    )
    qr_secret: SecretStr = SecretStr(DEV_SECRETS["qr_secret"])
    sla_scale: float = Field(1.0, gt=0, description="multiplies every SLA duration")

    # Replies (contract §10): vendors are reached only through these bases.
    wechat_api_base: str = "https://api.weixin.qq.com"
    sms_provider: Literal["aliyun", "tencent", "twilio"] = "aliyun"
    aliyun_sms_endpoint: str = "https://dysmsapi.aliyuncs.com"
    aliyun_access_key_id: str = "LTAIhubdev0000000000"
    aliyun_access_key_secret: SecretStr = SecretStr(DEV_SECRETS["aliyun_access_key_secret"])
    aliyun_sms_sign_name: str = "汽车客服中心"
    aliyun_sms_template_code: str = "SMS_000000001"
    tencent_sms_endpoint: str = "https://sms.tencentcloudapi.com"
    tencent_secret_id: str = "AKIDhubdev00000000000000000000000000"  # noqa: S105 (an id)
    tencent_secret_key: SecretStr = SecretStr(DEV_SECRETS["tencent_secret_key"])
    tencent_sms_sdk_app_id: str = "1400000000"
    tencent_sms_sign_name: str = "汽车客服中心"
    tencent_sms_template_id: str = "1000001"
    twilio_api_base: str = "https://api.twilio.com"
    twilio_account_sid: str = "AC00000000000000000000000000000000"
    twilio_from: str = "+15005550006"
    smtp_relay: str = "127.0.0.1:25"
    mail_from: str = "service@hub.example.cn"
    retry_scale: float = Field(1.0, ge=0, description="multiplies every delivery retry delay")
    subscribers: str | None = Field(
        None, description='JSON: name -> {"url", "secret": "whsec_...", "topics": [patterns]}')
    dispatcher_id: str = Field("hub-dispatcher", description="the dispatcher's consumer group")
    dispatcher_concurrency: int = Field(16, ge=1, description="replies sent side by side")
    reply_wait_s: float = Field(60.0, gt=0, description="how long a reply that names no "
                                "recipient waits for its event's contact (hub-watch-routed)")
    dispatcher_metrics_port: int = Field(9093, ge=0, description="dispatcher /metrics; 0: none")
    vendor_timeout_s: float = Field(10.0, gt=0, description="one vendor call's timeout")

    # Operational knobs (not in the contract; documented in the README).
    max_body_bytes: int = Field(1_048_576, description="largest accepted request body")
    webhook_tolerance_s: int = Field(300, description="Standard Webhooks timestamp window")
    publish_timeout_s: float = Field(3.0, description="how long a request waits for Kafka acks")
    partitions: int = Field(3, ge=1, description="partitions for topics hub creates")
    replication: int = Field(1, ge=1)
    retention_ms: int = Field(7 * 24 * 3600 * 1000)
    raw_retention_ms: int = Field(
        30 * 24 * 3600 * 1000, ge=-1,
        description="how long hub.raw keeps each request as received (audit, replay); "
                    "-1: forever. Personal data in it lasts this long after `hub erase`")
    erasure_key: SecretStr = Field(
        SecretStr(DEV_SECRETS["erasure_key"]),
        description="keys the hash that `hub erase` records instead of the identifier")
    worker_id: str = Field("hub-worker", description="the router's consumer group")
    state_dir: str | None = Field(
        None, description="the hub's folder: stage tables in state/, the embedded broker's "
                          "data and log, logs/; default ./.hub")
    fetch_wait_ms: int | None = Field(
        None, ge=1, description="consumer fetch wait; default 10 ms embedded, 500 ms on Kafka")
    dedupe_horizon_h: float = Field(
        168, gt=0, description="how long an event id is remembered against redeliveries")
    worker_metrics_port: int = Field(9091, ge=0, description="worker /metrics; 0: none")
    metrics_host: str = Field(
        "127.0.0.1", description="where the worker's and the dispatcher's /metrics listen; "
                                 "0.0.0.0 in a container, for probes and Prometheus")
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT", description="how every hub client joins Kafka")
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: str | None = Field(None, description="CA bundle (PEM) the brokers' "
                                                           "certificates are checked against")
    kafka_session_timeout_s: float | None = Field(
        None, description="consumer session timeout; default 6 s embedded, 30 s on Kafka"
    )
    log_level: str = "INFO"
    failpoint: str | None = Field(
        None, description="tests only: 'after_publish:N' kills the worker once N outputs "
                          "are stored, before the batch's table is; 'after_state:N' after "
                          "the table, before the input offset is committed")
    policy_file: str | None = Field(None, description="routing policy TOML; default: built in")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = os.environ.get("HUB_CONFIG")
        if path:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    @field_validator("source_secrets", mode="before")
    @classmethod
    def _parse_secrets(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError as exc:
                raise ValueError("HUB_SOURCE_SECRETS must be a JSON object") from exc
        if isinstance(value, dict):
            merged = dict(DEV_SOURCE_SECRETS)
            merged.update(value)
            return merged
        return value

    @model_validator(mode="after")
    def _public_url_follows_the_gateway(self) -> Settings:
        # Unset, links and Twilio's signed URL point at the gateway as it listens;
        # a wildcard bind is reached on loopback, an IPv6 literal in brackets.
        if not self.public_url:
            host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(  # noqa: S104
                self.http_host, self.http_host)
            host = f"[{host}]" if ":" in host else host
            self.public_url = f"http://{host}:{self.http_port}"
        return self

    @model_validator(mode="after")
    def _sasl_needs_credentials(self) -> Settings:
        if self.kafka_security_protocol.startswith("SASL_"):
            missing = [f"HUB_KAFKA_{k.upper()}" for k in
                       ("sasl_mechanism", "sasl_username", "sasl_password")
                       if not getattr(self, f"kafka_{k}")]
            if missing:
                raise ValueError(f"HUB_KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} "
                                 "needs " + ", ".join(missing))
        if self.kafka_ssl_cafile and not Path(self.kafka_ssl_cafile).is_file():
            raise ValueError(f"HUB_KAFKA_SSL_CAFILE={self.kafka_ssl_cafile} is not a file")
        return self

    @model_validator(mode="after")
    def _production_needs_real_secrets(self) -> Settings:
        if self.env != "production":
            return self
        dev = [f"HUB_{k.upper()}" for k, v in DEV_SECRETS.items()
               if _reveal(getattr(self, k)) == v]
        dev += [f"HUB_SOURCE_SECRETS[{k}]" for k, v in DEV_SOURCE_SECRETS.items()
                if self.source_secrets[k].get_secret_value() == v]
        if dev:
            raise ValueError("production needs real secrets; still at dev values: "
                             + ", ".join(dev))
        if not self.kafka_bootstrap:
            raise ValueError("production needs HUB_KAFKA_BOOTSTRAP")
        return self

    @property
    def embedded(self) -> bool:
        return not self.kafka_bootstrap

    @property
    def bootstrap(self) -> str:
        return self.kafka_bootstrap or f"127.0.0.1:{self.embedded_broker_port}"

    @property
    def session_timeout_s(self) -> float:
        # Tansu keeps a dead member until its session expires and delays every
        # join by about half the session timeout: short sessions keep restarts quick.
        if self.kafka_session_timeout_s:
            return self.kafka_session_timeout_s
        return 6.0 if self.embedded else 30.0

    @property
    def hub_path(self) -> Path:
        """The hub's own folder: the embedded broker's data and log, logs, stage tables."""
        return Path(self.state_dir) if self.state_dir else Path.cwd() / ".hub"

    @property
    def state_path(self) -> Path:
        """Where stream stages keep their tables (a cache of their changelogs)."""
        return self.hub_path / "state"

    @property
    def fetch_wait(self) -> int:
        # Tansu answers a fetch when its wait ends, not when data arrives, so
        # the wait is the latency floor of every hop there; Kafka answers as
        # soon as data lands, so a long wait costs nothing.
        if self.fetch_wait_ms:
            return self.fetch_wait_ms
        return 10 if self.embedded else 500

    def source_secret(self, source: str) -> str:
        return self.source_secrets[source].get_secret_value()


def _reveal(value: Any) -> Any:
    return value.get_secret_value() if isinstance(value, SecretStr) else value


def load_settings(**overrides: Any) -> Settings:
    try:
        return Settings(**overrides)
    except ValueError as exc:
        raise ConfigError(f"invalid configuration: {exc}") from exc

