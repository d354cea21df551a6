"""The ``hub`` command (contract §1)."""

from __future__ import annotations

import asyncio
import sys
import uuid
from pathlib import Path

import click

from hub.errors import HubError
from hub.settings import SIGNED_SOURCES, load_settings


def _settings():
    try:
        return load_settings()
    except HubError as err:
        raise click.ClickException(err.message) from err


@click.group()
def main() -> None:
    """Omnichannel intake hub. Configuration: HUB_* environment variables (see README)."""


@main.command()
@click.option("--memory", is_flag=True,
              help="embedded broker in memory only: everything is gone when it stops")
def up(memory: bool) -> None:
    """Everything on one machine (embedded broker when HUB_KAFKA_BOOTSTRAP is unset)."""
    from hub.logs import configure
    from hub.supervisor import default_broker
    from hub.supervisor import up as run_up

    settings = _settings()
    configure(settings.log_level)
    try:
        sys.exit(run_up(settings, default_broker(settings, memory)))
    except HubError as err:
        raise click.ClickException(err.message) from err


def server_options(settings) -> dict:
    """uvicorn's settings for the gateway (bench/stream.py serves a no-op app on them)."""
    from hub.logs import logging_dict_config

    # uvloop and httptools: the event loop and HTTP parser in C; on asyncio and h11
    # a no-op app served 4x fewer requests (bench/stream.py).
    return {"log_config": logging_dict_config(settings.log_level), "access_log": False,
            "loop": "uvloop", "http": "httptools"}


@main.command()
def gateway() -> None:
    """The HTTP gateway (scale out by running more copies)."""
    import uvicorn

    from hub.gateway.app import create_app
    from hub.logs import configure

    settings = _settings()
    configure(settings.log_level)
    uvicorn.run(create_app(settings), host=settings.http_host, port=settings.http_port,
                **server_options(settings))


@main.command()
def smtp() -> None:
    """The SMTP intake on HUB_SMTP_PORT."""
    from hub.logs import configure
    from hub.smtp import run

    settings = _settings()
    configure(settings.log_level)
    run(settings)


@main.command()
def worker() -> None:
    """The stream worker (scale out with partitions and more copies)."""
    from hub.logs import configure
    from hub.worker.app import run

    settings = _settings()
    configure(settings.log_level)
    try:
        run(settings)
    except HubError as err:
        raise click.ClickException(err.message) from err


@main.command()
def dispatcher() -> None:
    """Sends the replies of hub.replies and records their deliveries (contract §10)."""
    from hub.answers.dispatcher import run

    run(_settings())


@main.group()
def topics() -> None:
    """Topic administration."""


@topics.command("create")
def topics_create() -> None:
    """Create every contract topic (idempotent); warn where an existing topic's
    retention differs from the configured one."""
    from hub.kafka.retention import drift
    from hub.kafka.topics import all_topics, create_topics

    settings = _settings()
    try:
        result = asyncio.run(create_topics(settings))
        existing = [s for s in all_topics() if result.get(s.name) == "exists"]
        warnings = asyncio.run(drift(settings, existing)) if existing else []
    except HubError as err:
        raise click.ClickException(err.message) from err
    for name, state in sorted(result.items()):
        click.echo(f"{state:8} {name}")
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)


@main.group()
def customers() -> None:
    """Customer records."""


@customers.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def customers_load(file: Path) -> None:
    """Publish customer records (JSONL or CSV) to hub.customers."""
    from hub.customers_load import load
    from hub.kafka.bus import Bus

    async def go() -> int:
        bus = Bus(_settings())
        try:
            return await load(bus, file)
        finally:
            await bus.close()

    try:
        count = asyncio.run(go())
    except HubError as err:
        raise click.ClickException(err.message) from err
    click.echo(f"published {count} customer records to hub.customers")


@main.command()
@click.argument("topic_names", metavar="TOPIC...", nargs=-1, required=True)
@click.option("--from-beginning", is_flag=True, help="Start at the oldest record.")
@click.option("--broker-timeout", type=click.FloatRange(min=0.5), default=10, show_default=True,
              help="seconds without an answer from Kafka before giving up (exit 1)")
def tail(topic_names: tuple[str, ...], from_beginning: bool, broker_timeout: float) -> None:
    """Follow topics, one line per event."""
    from hub.tail import run

    try:
        run(_settings().bootstrap, list(topic_names), from_beginning, broker_timeout)
    except HubError as err:
        raise click.ClickException(err.message) from err


@main.command()
@click.option("--wait", type=float, default=30, show_default=True, help="seconds to wait")
def demo(wait: float) -> None:
    """Send sample traffic through every channel of a running hub; show where it went,
    then what the watch made of it (a ticket update, escalations, a batch alert)."""
    from hub import demo_watch
    from hub.demo import demo as run_demo
    from hub.demo import report

    settings = _settings()
    try:
        marks = asyncio.run(demo_watch.mark(settings))
        routed = asyncio.run(run_demo(settings, wait))
        click.echo(report(routed))
        seen = asyncio.run(demo_watch.watch(settings, routed, wait, marks))
    except (HubError, OSError) as err:
        raise click.ClickException(f"is the hub running (bin/hub up)? {err}") from err
    click.echo(demo_watch.report(seen, settings.sla_scale))


@main.command()
@click.argument("topic")
@click.option("--subscriber", help="hub.deadletter: webhooks of this HUB_SUBSCRIBERS entry "
                                   "that ran out of attempts")
@click.option("--since", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
              help="only what failed from this time (UTC) on: a dead letter's time, a "
                   "request's received_at")
@click.option("--unconfirmed", is_flag=True,
              help="also replies the vendor may have sent (recorded unconfirmed)")
def replay(topic: str, subscriber: str | None, since, unconfirmed: bool) -> None:
    """Send again, once its cause is fixed, what could not go through (idempotent).

    \b
    hub.deadletter --subscriber NAME  webhooks that ran out of attempts, posted again
                                      (skips what hub.deliveries says was delivered)
    hub.deadletter                    undelivered replies, written to hub.replies again
    hub.raw                           requests the gateway authenticated but refused
                                      (hub.raw "refused"), parsed and normalized with
                                      today's code; their events go to hub.intake with
                                      the original received_at, skipping ids already
                                      there. Exits 1 while some are still refused.
    """
    from datetime import UTC

    from aiokafka.errors import KafkaError

    from hub.kafka.topics import DEADLETTER, RAW, all_topics
    from hub.webhooks import subscribers
    from hub.webhooks.replay import replay as replay_webhooks

    if topic == RAW:
        if subscriber or unconfirmed:
            raise click.ClickException(f"--subscriber and --unconfirmed are for {DEADLETTER}, "
                                       f"not {RAW}")
        _replay_raw(since.replace(tzinfo=UTC) if since else None)
        return
    if topic != DEADLETTER:
        raise click.ClickException(f"{topic} cannot be replayed: name {DEADLETTER} or {RAW}")
    settings = _settings()
    if not subscriber:
        from hub.answers.replay import replay as replay_replies

        try:
            again = asyncio.run(replay_replies(settings, since.replace(tzinfo=UTC)
                                               if since else None, unconfirmed))
        except HubError as err:
            raise click.ClickException(err.message) from err
        click.echo(f"{again.sent} replies written to hub.replies again (as <reply_id>/replay),"
                   f" {again.skipped} already replayed, {again.kept} kept back (unconfirmed or "
                   "not a reply: see hub.deadletter)")
        return
    found = {s.name: s for s in subscribers.parse(settings.subscribers,
                                                   [t.name for t in all_topics()])}
    if subscriber not in found:
        raise click.ClickException(f"no subscriber {subscriber!r} in HUB_SUBSCRIBERS")
    try:
        done = asyncio.run(replay_webhooks(settings.bootstrap, found[subscriber],
                                           since.replace(tzinfo=UTC) if since else None))
    except (KafkaError, OSError) as err:
        raise click.ClickException(f"Kafka at {settings.bootstrap} is not reachable: "
                                   f"{err}") from err
    click.echo(f"{done.sent} sent, {done.skipped} already delivered, {done.failed} failed")
    if done.failed:
        raise SystemExit(1)


def _replay_raw(since) -> None:
    from hub.gateway.replay import replay as replay_raw

    try:
        done = asyncio.run(replay_raw(_settings(), since))
    except HubError as err:
        raise click.ClickException(err.message) from err
    for f in done.failed:
        click.echo(f"still refused: {f.where} {f.path} {f.code}: {f.message}", err=True)
    ignored = f" ({done.ignored} now read as no customer message)" if done.ignored else ""
    erased = f", {done.erased} of erased customers not sent" if done.erased else ""
    click.echo(f"{done.sent} sent, {done.present} already in hub.intake, "
               f"{len(done.failed)} still refused/failed{erased}{ignored}")
    if done.failed:
        raise SystemExit(1)


@main.command()
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="first day, China time (YYYY-MM-DD)")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="last day, China time, included")
@click.option("--html", "html_file", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="also write an HTML page with charts")
def report(start, end, html_file: Path | None) -> None:
    """The center's statistics and KPIs from hub.cases, hub.escalations and hub.alerts."""
    from hub.report import page, source, stats, text

    if start and end and start > end:
        raise click.BadParameter("--from is after --to")
    settings = _settings()
    try:
        topics = asyncio.run(source.read(settings.bootstrap))
    except HubError as err:
        raise click.ClickException(err.message) from err
    built = stats.build(topics.cases, topics.escalations, topics.alerts,
                        start.date() if start else None, end.date() if end else None,
                        topics.dealers)
    click.echo(text.render(built))
    if html_file:
        html_file.write_text(page.render(built), encoding="utf-8")
        click.echo(f"wrote {html_file}", err=True)


@main.command(name="eval")
@click.option("--corpus", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=Path("tests/data/corpus"), show_default=True)
@click.option("--errors", is_flag=True, help="list the dev part's misclassifications")
def eval_(corpus: Path, errors: bool) -> None:
    """Classifier precision/recall, confusion matrix and flag recall on the corpus."""
    from hub.evaluation import evaluate, load, render

    samples = load(corpus)
    dev = [s for s in samples if not s.heldout]
    heldout = [s for s in samples if s.heldout]
    click.echo(render("dev (tune on this)", evaluate(dev), show_errors=errors))
    click.echo()
    click.echo(render("held-out (never tuned on)", evaluate(heldout)))


@main.command(name="train")
@click.option("--corpus", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=Path("tests/data/corpus"), show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="where to write the type model (default: the one the classifier loads)")
@click.option("--safety-out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="where to write the safety flag's model (default: the one flags_for loads)")
def train(corpus: Path, out: Path | None, safety_out: Path | None) -> None:
    """Fit the classifier's models on the corpus's dev part (needs the `train` extra)."""
    from hub.evaluation import load
    from hub.routers.model import MODEL_FILE, SAFETY_MODEL_FILE
    from hub.routers.train import fit, fit_safety

    samples = load(corpus)
    try:
        models = [(fit(samples), out or MODEL_FILE),
                  (fit_safety(samples), safety_out or SAFETY_MODEL_FILE)]
    except ImportError as exc:
        raise click.ClickException(
            f"{exc}: install the train extra (pip install -e '.[train]')") from exc
    for model, target in models:
        target.write_bytes(model.to_json())
        click.echo(f"{target}: {model.meta['rows']} rows, {model.feature_count} features, "
                   f"fingerprint {model.meta['trained_on']}")


@main.group(name="qr")
def qr_group() -> None:
    """QR codes for dealers and vehicles."""


@qr_group.command("issue")
@click.option("--dealer", help="dealer code, e.g. D0571A")
@click.option("--vin", help="vehicle VIN (kept inside the token, not readable in the URL)")
@click.option("--days", type=float, default=3650, show_default=True, help="valid for")
@click.option("--png", type=click.Path(dir_okay=False, path_type=Path), help="write the image")
def qr_issue(dealer: str | None, vin: str | None, days: float, png: Path | None) -> None:
    """Print a signed QR landing URL; write the QR image when asked."""
    import segno

    from hub import qr

    settings = _settings()
    try:
        token = qr.issue(settings.qr_secret.get_secret_value(), dealer=dealer, vin=vin, days=days)
    except HubError as err:
        raise click.ClickException(err.message) from err
    link = qr.url(settings.public_url, token)
    click.echo(link)
    if png:
        segno.make(link, error="m").save(str(png), scale=8, border=4)
        click.echo(f"wrote {png}", err=True)


@main.command()
@click.option("--source", type=click.Choice(SIGNED_SOURCES), required=True)
@click.option("--id", "msg_id", default=None, help="webhook-id (default: random)")
@click.argument("file", type=click.File("rb"))
def sign(source: str, msg_id: str | None, file) -> None:
    """Print Standard Webhooks headers for FILE, one per line (for curl -H @file)."""
    from standardwebhooks.webhooks import Webhook

    from hub.signatures import signed_headers

    body = file.read()
    headers = signed_headers(_settings().source_secret(source), body,
                             msg_id or f"msg_{uuid.uuid4().hex}")
    try:  # cross-check with the reference implementation where the body is text
        Webhook(_settings().source_secret(source)).verify(body, headers)
    except UnicodeDecodeError:
        pass
    for name, value in headers.items():
        click.echo(f"{name}: {value}")


@main.command()
@click.option("--phone", help="a phone number in any spelling (139-0000-9999, +86 …)")
@click.option("--email", help="an e-mail address (case and +tags do not matter)")
@click.option("--openid", help="a WeChat openid or unionid")
@click.option("--vin", help="a vehicle identification number (check digit verified)")
@click.option("--no-check-digit", is_flag=True,
              help="accept a VIN whose check digit (position 9) does not add up")
def erase(phone: str | None, email: str | None, openid: str | None, vin: str | None,
          no_check_digit: bool) -> None:
    """Erase a customer's personal data (PIPL): tombstones for the customer
    record(s) and every case, the request recorded on hub-erasures, and what
    an append-only log still holds said plainly. Idempotent.

    Exit status: 0 erased (or nothing left to erase), 1 nothing matches,
    2 a bad option, 3 Kafka unreachable."""
    from hub.erase import audit
    from hub.erase.identifier import parse
    from hub.erase.run import erase as run_erase
    from hub.erase.run import render
    from hub.errors import BrokerUnavailable

    try:
        ident = parse(phone=phone, email=email, openid=openid, vin=vin,
                      check_digit=not no_check_digit)
    except HubError as err:
        raise click.UsageError(err.message) from err
    try:
        result = asyncio.run(run_erase(_settings(), ident))
    except BrokerUnavailable as err:
        click.echo(f"Error: {err.message}; run it again when Kafka answers (a repeated "
                   "erasure does no harm)", err=True)
        raise SystemExit(3) from err
    except HubError as err:
        raise click.ClickException(err.message) from err
    click.echo(render(result))
    if result.outcome == audit.NOT_FOUND:
        raise SystemExit(1)
