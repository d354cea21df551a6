"""`hub demo` against the running test stack: every channel, end to end."""

import subprocess
import sys
from urllib.parse import urlsplit

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
    email = [line for line in done.stdout.splitlines() if line.startswith("email ")]
    assert [line.split()[1:3] for line in email] == [["email", "via"], ["email", "via"]]
    assert [line.split()[3] for line in email] == ["HTTP", "SMTP"]
