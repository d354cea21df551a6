"""`hub demo` against the running test stack: every channel, end to end."""

import subprocess
import sys
from urllib.parse import urlsplit

from hub.demo import report
from tests.helpers import ROOT, hub_env


def test_demo_routes_all_seven_channels(broker, gateway, smtp_port, worker):
    env = hub_env(broker.bootstrap, HUB_HTTP_PORT=str(urlsplit(gateway).port),
                  HUB_SMTP_PORT=str(smtp_port))
    done = subprocess.run([sys.executable, "-m", "hub", "demo", "--wait", "60"], env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "13 events routed from 7 channels: email, hotline, qr, sms, telematics, web, " \
           "wechat" in done.stdout
    assert "hub.routed.fleet.rescue" in done.stdout  # the airbag, on the fleet's VIN
    # The watch: the hotline complaint acknowledged by a ticket update, the airbag
    # escalated at once (risk 5, level 3), six OTA charging complaints one batch.
    assert "acknowledged ticket TK-DEMO-" in done.stdout and "owner A1024" in done.stdout
    assert "escalation risk_level" in done.stdout and "level 3" in done.stdout
    assert "alert batch_complaint" in done.stdout and "{'fault': 'charging'}" in done.stdout
    email = [line.split()[1:4] for line in done.stdout.splitlines() if line.startswith("email ")]
    assert email and all(row in (["email", "via", "HTTP"], ["email", "via", "SMTP"])
                         for row in email)


def _routed(channel: str, source: str, message_id: str) -> dict:
    return {"channel": channel, "source": source, "channel_message_id": message_id,
            "_topic": "hub.routed.ordinary.complaint", "route": {"priority": "P2"},
            "risk": {"level": 2}, "subject": "关于轮胎以旧充新的投诉"}


def test_the_report_says_which_email_came_by_smtp_and_which_by_http():
    text = report([_routed("email", "email", "<demo-ab12-smtp@example.net>"),
                   _routed("email", "email", "<demo-ab12-http@example.net>"),
                   _routed("web", "web", "DEMO-ab12-form")])
    rows = [line.split()[:4] for line in text.splitlines()[1:4]]
    assert rows == [["email", "email", "via", "HTTP"], ["email", "email", "via", "SMTP"],
                    ["web", "web", "hub.routed.ordinary.complaint", "P2"]]
