"""The registry: every channel has a connector, a normalizer and fixtures."""

from pathlib import Path

from hub.channels import CHANNELS

FIXTURES = Path(__file__).parent / "data"


def test_every_channel_is_complete():
    paths = set()
    for spec in CHANNELS:
        c = spec.connector
        assert c.path.startswith("/v1/channels/") and c.path not in paths
        paths.add(c.path)
        assert callable(spec.normalize)
        assert list((FIXTURES / c.channel).glob("*.*")), f"no fixtures for {c.channel}"
        test = Path(__file__).parent / "normalizers" / f"test_{c.channel}.py"
        assert test.exists(), f"no normalizer tests for {c.channel}"
