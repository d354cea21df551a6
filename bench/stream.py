"""The stream's speed in one run, on the embedded broker, real processes
throughout (issue 15): one table of

a. worker throughput: N normalized events preloaded on hub.intake of a fresh
   broker; events/s of a real `hub worker`, of a plain consume -> Router.route
   -> produce loop and of a raw consume -> produce loop (bench/loops.py), each on
   its own group and output topics, one after the other; the ratios; the RSS
   of each process after its run;
b. latency: gateway + worker + broker + this load generator together, signed
   hotline posts at fixed rates (open loop: a post is timed from when it was
   due, so a slow answer cannot hide the next post's wait); post -> routed from
   each routed record's Kafka timestamp, read after the run (a consumer
   following twelve topics meanwhile loads the broker and changes the answer);
c. gateway requests/s: wrk, 32 connections, pre-signed posts each with its own
   call_id, against the gateway and against a no-op ASGI app (bench/noop.py)
   on the gateway's uvicorn settings and on uvloop + httptools.

    .venv/bin/python bench/stream.py            # full run, ~8 min
    .venv/bin/python bench/stream.py --quick    # smoke run, ~1.5 min
    .venv/bin/python bench/stream.py --profile /tmp/prof   # py-spy on gateway and worker
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp
import psutil
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from events import DATA, events, hotline_posts, intake_record
from stack import pct, stack

from hub.ids import event_id
from hub.kafka.bus import Bus
from hub.kafka.embedded import EmbeddedBroker, free_port
from hub.kafka.topics import INTAKE, ROUTED, create_topics
from hub.settings import DEV_SOURCE_SECRETS, load_settings
from hub.signatures import signed_headers
from tests.helpers import Proc, hub_env, read_topics

BENCH = Path(__file__).resolve().parent
PLAIN = "bench.plain."
RAW_OUT = "bench.raw.out"
HOTLINE = "/v1/channels/hotline"


class Table:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str]] = []

    def section(self, title: str) -> None:
        self.rows.append((title, "", ""))

    def add(self, name: str, value: str, target: str = "") -> None:
        self.rows.append((f"  {name}", value, target))
        print(f"{name}: {value} {target}", flush=True)

    def render(self) -> str:
        width = max(len(r[0]) for r in self.rows) + 2
        vwidth = max(len(r[1]) for r in self.rows) + 2
        return "\n".join(f"{a:<{width}}{b:<{vwidth}}{c}".rstrip() for a, b, c in self.rows)


def verdict(ok: bool, target: str) -> str:
    return f"{'met' if ok else 'MISSED'} (target {target})"


class Profiler:
    """py-spy on a process for as long as a part runs, when --profile asks."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.procs: list[subprocess.Popen] = []

    def attach(self, name: str, pid: int) -> None:
        spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        if self.folder is None or not Path(spy).exists():
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        self.procs.append(subprocess.Popen(
            [spy, "record", "--pid", str(pid), "--rate", "200", "--format", "raw",
             "--nonblocking", "-o", str(self.folder / f"{name}.txt")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    def detach(self) -> None:
        for proc in self.procs:
            proc.send_signal(2)  # SIGINT: py-spy writes its file and exits
            proc.wait(30)
        self.procs.clear()


# ---- a. worker throughput ------------------------------------------------

async def _prepare(bootstrap: str, count: int) -> int:
    settings = load_settings(kafka_bootstrap=bootstrap)
    await create_topics(settings)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(PLAIN + t, settings.partitions, 1) for t in ROUTED]
                                  + [NewTopic(RAW_OUT, settings.partitions, 1)])
    finally:
        await admin.close()
    from hub.customers_load import load

    bus = Bus(settings)
    try:
        await load(bus, DATA / "customers.jsonl")
    finally:
        await bus.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20,
                                enable_idempotence=False)
    await producer.start()
    try:
        futures = []
        for event in events(count, f"{time.time_ns()}"):
            key, value, headers = intake_record(event)
            futures.append(await producer.send(INTAKE, value, key=key, headers=headers))
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return len(futures)


def _handled(metrics_url: str) -> int:
    """Records the worker routed or dead-lettered, from its /metrics: counting
    on the broker would load it, and Tansu's end offsets (the last batch's base
    offset + 1) undercount."""
    import httpx
    from prometheus_client.parser import text_string_to_metric_families

    try:
        text = httpx.get(metrics_url, timeout=2).text
    except httpx.TransportError:
        return 0
    return int(sum(s.value for f in text_string_to_metric_families(text)
                   if f.name in ("hub_routed", "hub_deadlettered") for s in f.samples
                   if s.name.endswith("_total")))


def _rate(bootstrap: str, topics: list[str]) -> tuple[float, int]:
    """Events/s from the first to the last record's Kafka timestamp, and the count."""
    stamps = [r.timestamp for r in read_topics(bootstrap, topics, timeout=60)]
    span = (max(stamps) - min(stamps)) / 1000
    return (len(stamps) - 1) / span if span > 0 else float("inf"), len(stamps)


def throughput(table: Table, count: int, profiler: Profiler) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="hub-bench-stream-"))
    broker = EmbeddedBroker(free_port(), log_path=tmp / "broker.log").start()
    try:
        loaded = asyncio.run(_prepare(broker.bootstrap, count))
        print(f"preloaded {loaded} events on {INTAKE}", flush=True)
        port = free_port()
        worker = Proc("worker", hub_env(broker.bootstrap, HUB_WORKER_METRICS_PORT=str(port)),
                      tmp).start()
        try:
            worker.wait_log("worker.routing")
            profiler.attach("worker", worker.proc.pid)
            deadline = time.monotonic() + max(120, count / 50)
            while (_handled(f"http://127.0.0.1:{port}/metrics") < loaded
                   and time.monotonic() < deadline):
                time.sleep(1)  # a scrape costs the worker ~1% at 2/s
            profiler.detach()
            worker_rss = psutil.Process(worker.proc.pid).memory_info().rss
        finally:
            worker.stop()
        w_rate, w_n = _rate(broker.bootstrap, list(ROUTED))
        results = {}
        for kind, target, topics in (("plain", PLAIN, [PLAIN + t for t in ROUTED]),
                                     ("raw", RAW_OUT, [RAW_OUT])):
            out = subprocess.run([sys.executable, str(BENCH / "loops.py"), kind,
                                  broker.bootstrap, str(loaded), target],
                                 capture_output=True, text=True, timeout=max(300, count / 50),
                                 check=True)
            results[kind] = (*_rate(broker.bootstrap, topics), int(out.stdout.split()[-1]))
    finally:
        broker.stop()
    (p_rate, p_n, p_rss), (r_rate, r_n, r_rss) = results["plain"], results["raw"]
    mb = 1024 * 1024
    table.section(f"a. worker throughput ({loaded} events preloaded on {INTAKE})")
    table.add("hub worker", f"{w_rate:,.0f} events/s  ({w_n} routed, RSS {worker_rss / mb:.0f} MB)")
    table.add("plain consume -> Router.route -> produce",
              f"{p_rate:,.0f} events/s  ({p_n} out, RSS {p_rss / mb:.0f} MB)")
    table.add("raw consume -> produce",
              f"{r_rate:,.0f} events/s  ({r_n} out, RSS {r_rss / mb:.0f} MB)")
    table.add("worker / plain loop", f"{w_rate / p_rate:.2f}x",
              verdict(w_rate >= 0.8 * p_rate, ">= 0.8x"))
    table.add("worker / raw loop", f"{w_rate / r_rate:.3f}x")


# ---- b. latency ----------------------------------------------------------

async def _post_at(url: str, rate: int, duration: float, run: str) -> tuple[dict, Counter]:
    """Posts ``rate`` signed call records a second for ``duration`` s. Returns
    event_id -> when its post was due (epoch s), for each acknowledged one, and
    a count of the answers."""
    secret = DEV_SOURCE_SECRETS["hotline"]
    posts = []
    for call_id, body in hotline_posts(int(rate * duration), run):
        headers = signed_headers(secret, body, f"msg_{call_id}") | {
            "content-type": "application/json"}
        posts.append((event_id("hotline", "hotline", call_id), body, headers))
    due: dict[str, float] = {}
    answers: Counter = Counter()
    connector = aiohttp.TCPConnector(limit=64)
    async with aiohttp.ClientSession(connector=connector,
                                     timeout=aiohttp.ClientTimeout(total=30)) as session:
        loop = asyncio.get_running_loop()

        async def post(i: int, at: float) -> None:
            eid, body, headers = posts[i]
            try:
                async with session.post(url + HOTLINE, data=body, headers=headers) as r:
                    await r.read()
                    answers[r.status] += 1
                    if r.status == 202:
                        due[eid] = at
            except (aiohttp.ClientError, TimeoutError) as exc:
                answers[type(exc).__name__] += 1

        wall, mono = time.time() + 0.1, loop.time() + 0.1
        tasks = []
        for i in range(len(posts)):
            wait = mono + i / rate - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            tasks.append(asyncio.create_task(post(i, wall + i / rate)))
        await asyncio.gather(*tasks)
    return due, answers


def _cpu(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def _one_rate(rate: int, duration: float,
              profiler: Profiler) -> tuple[list[float], Counter, dict[str, float], dict]:
    """Post -> routed in ms of every acknowledged post (inf: not routed within
    10 s of the last post), a count of the answers, and the CPU seconds the
    gateway and the worker used meanwhile."""
    with stack(worker=True, log_level="INFO") as s:
        asyncio.run(_post_at(s.url, min(rate, 100), 1, f"warm{rate}"))  # not counted
        profiler.attach(f"gateway-{rate}", s.gateway.proc.pid)
        profiler.attach(f"worker-{rate}", s.worker.proc.pid)
        pids = {"gateway": s.gateway.proc.pid, "worker": s.worker.proc.pid}
        before = {name: _cpu(pid) for name, pid in pids.items()}
        due, answers = asyncio.run(_post_at(s.url, rate, duration, f"{time.time_ns()}"))
        profiler.detach()
        deadline = time.monotonic() + 10
        while True:
            records = read_topics(s.bootstrap, ROUTED, timeout=30)
            routed = {dict(r.headers)["ce_id"].decode(): r.timestamp / 1000 for r in records}
            if due.keys() <= routed.keys() or time.monotonic() > deadline:
                break
            time.sleep(1)
        cpu = {name: _cpu(pid) - before[name] for name, pid in pids.items()}
        stored = {dict(r.headers)["ce_id"].decode(): r.timestamp / 1000
                  for r in read_topics(s.bootstrap, [INTAKE], timeout=30)}
    ms = [(routed[k] - t) * 1000 if k in routed else math.inf for k, t in due.items()]
    # Where the time goes: due -> the gateway's write to hub.intake, and from there
    # to the worker's routed record.
    split = {"post -> hub.intake": [(stored[k] - t) * 1000 for k, t in due.items() if k in stored],
             "hub.intake -> routed": [(routed[k] - stored[k]) * 1000 for k in due
                                      if k in stored and k in routed]}
    return ms, answers, cpu, split


def _ms(value: float) -> str:
    return f"{value:.0f}" if value != math.inf else "not routed"


def latency(table: Table, rates: list[int], duration: float, search: int,
            profiler: Profiler) -> None:
    table.section(f"b. post -> routed latency (gateway + worker + broker + load, {duration:.0f} s "
                  "per rate)")
    targets = {200: 100.0}
    held, failed = 0, None
    plan = list(rates)
    while plan:
        rate = plan.pop(0)
        ms, answers, cpu, split = _one_rate(rate, duration, profiler)
        routed = [m for m in ms if m != math.inf]
        other = {k: v for k, v in answers.items() if k != 202}
        target = targets.get(rate, 250.0)
        p99 = pct(ms, 99) if ms else math.inf
        ok = p99 <= target and len(routed) == len(ms) and not other
        value = (f"p50 {_ms(pct(ms, 50))}  p95 {_ms(pct(ms, 95))}  p99 {_ms(p99)}  "
                 f"max {_ms(max(ms))} ms" if ms else "nothing acknowledged")
        table.add(f"{rate}/s", value, verdict(ok, f"p99 <= {target:.0f} ms"))
        table.add(f"{rate}/s counts", f"{sum(answers.values())} posted, {answers[202]} "
                  f"acknowledged, {len(routed)} routed, {len(ms) - len(routed)} missing"
                  + (f", other answers {other}" if other else ""))
        for part, values in split.items():
            if values:
                table.add(f"{rate}/s {part}", f"p50 {pct(values, 50):.0f}  p99 "
                          f"{pct(values, 99):.0f}  max {max(values):.0f} ms")
        if routed:
            table.add(f"{rate}/s CPU per routed post",
                      f"gateway {cpu['gateway'] * 1000 / len(routed):.2f} ms, "
                      f"worker {cpu['worker'] * 1000 / len(routed):.2f} ms")
        if p99 <= 250 and len(routed) == len(ms) and not other:
            held = max(held, rate)
        else:
            failed = min(failed or rate, rate)
        if not plan and failed and search > 0 and failed - held > 50:
            # The highest rate that holds p99 <= 250 ms, by halving the gap.
            search -= 1
            plan.append(held + round((failed - held) / 2 / 50) * 50 or 50)
    if failed:
        table.add("highest rate tried holding p99 <= 250 ms", f"{held}/s" if held else "none")


# ---- c. gateway requests/s -----------------------------------------------

LUA = r"""
-- Each thread sends its share of the pre-signed requests (one per line:
-- webhook-id TAB webhook-timestamp TAB webhook-signature TAB body), in turn.
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
local reqs, n, i = {}, 0, 0
function init(args)
  local k = 0
  for line in io.lines(args[1]) do
    if k % tonumber(args[2]) == tid then
      local id, ts, sig, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      n = n + 1
      reqs[n] = wrk.format("POST", args[3], {["Content-Type"] = "application/json",
        ["webhook-id"] = id, ["webhook-timestamp"] = ts, ["webhook-signature"] = sig}, body)
    end
    k = k + 1
  end
end
function request()
  i = i % n + 1
  return reqs[i]
end
"""


def _wrk() -> str | None:
    found = shutil.which("wrk")
    if found or not shutil.which("apt-get") or os.geteuid() != 0:
        return found
    print("wrk is missing: installing Debian's package with apt-get", flush=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], capture_output=True, check=False)
    return shutil.which("wrk")


def _signed_file(path: Path, count: int) -> Path:
    secret = DEV_SOURCE_SECRETS["hotline"]
    with path.open("wb") as out:
        for call_id, body in hotline_posts(count, f"W{time.time_ns()}"):
            h = signed_headers(secret, body, f"msg_{call_id}")
            out.write(f"{h['webhook-id']}\t{h['webhook-timestamp']}\t"
                      f"{h['webhook-signature']}\t".encode() + body + b"\n")
    return path


def _run_wrk(wrk: str, url: str, script: Path, requests: Path, seconds: float,
             pid: int | None = None) -> dict:
    """wrk's figures, and the server's CPU time per request (``pid``): unlike
    requests/s, that one barely moves when other work shares the cores."""
    threads = 2
    cpu = psutil.Process(pid).cpu_times() if pid else None
    out = subprocess.run([wrk, "-t", str(threads), "-c", "32", "-d", f"{seconds:.0f}s",
                          "--latency", "-s", str(script), url, "--", str(requests),
                          str(threads), HOTLINE],
                         capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
    used = psutil.Process(pid).cpu_times() if pid else None
    cpu_ms = ((used.user + used.system - cpu.user - cpu.system) * 1000 / total
              if used and total else math.nan)
    return {"rps": rps, "cpu_ms": cpu_ms, "total": total, "bad": int(bad.group(1)) if bad else 0,
            "errors": errors.group(1) if errors else "", "p50": lat.get("50", "?"),
            "p99": lat.get("99", "?")}


def _noop(mode: str, tmp: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    log = (tmp / f"noop-{mode}.log").open("wb")
    proc = subprocess.Popen([sys.executable, str(BENCH / "noop.py"), str(port), mode],
                            stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if _answers(url):
                return proc, url
        except OSError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"no-op app ({mode}) did not start")


def _answers(url: str) -> bool:
    import httpx

    try:
        return httpx.post(url + HOTLINE, content=b"{}", timeout=0.5).status_code == 202
    except httpx.TransportError:
        return False


def _duplicates(url: str) -> int:
    import httpx

    text = httpx.get(url + "/metrics", timeout=5).text
    found = re.search(r'hub_events_stored_total\{channel="hotline",status="duplicate"\} (\S+)',
                      text)
    return int(float(found.group(1))) if found else 0


def gateway(table: Table, seconds: float, profiler: Profiler) -> None:
    table.section("c. gateway requests/s (wrk, 32 connections, signed hotline posts)")
    wrk = _wrk()
    if not wrk:
        table.add("skipped", "wrk is not installed and apt-get could not install it")
        return
    tmp = Path(tempfile.mkdtemp(prefix="hub-bench-wrk-"))
    script = tmp / "signed.lua"
    script.write_text(LUA)
    results = {}
    with stack(worker=False, log_level="INFO") as s:
        # Each its own call_ids: the run repeats none of the warm-up's posts.
        warm = _signed_file(tmp / "warm.tsv", 9000 * 2)
        requests = _signed_file(tmp / "requests.tsv", int(9000 * seconds))
        _run_wrk(wrk, s.url, script, warm, 2)  # not counted
        profiler.attach("gateway-wrk", s.gateway.proc.pid)
        results["gateway"] = _run_wrk(wrk, s.url, script, requests, seconds,
                                      s.gateway.proc.pid)
        profiler.detach()
        duplicates = _duplicates(s.url)
    for mode in ("hub", "fast"):
        proc, url = _noop(mode, tmp)
        try:
            _run_wrk(wrk, url, script, requests, 1)
            results[mode] = _run_wrk(wrk, url, script, requests, seconds, proc.pid)
        finally:
            proc.terminate()
            proc.wait(10)
    names = {"gateway": "hub gateway (acks=all to hub.raw + hub.intake)",
             "hub": "no-op ASGI app, gateway's uvicorn settings",
             "fast": "no-op ASGI app, uvloop + httptools"}
    for key, name in names.items():
        r = results[key]
        extra = f", {r['bad']} not 2xx" if r["bad"] else ""
        extra += f", socket errors {r['errors']}" if r["errors"] else ""
        extra += f", {duplicates} duplicates" if key == "gateway" else ""
        table.add(name, f"{r['rps']:,.0f} req/s  (p50 {r['p50']}, p99 {r['p99']}, "
                  f"{r['cpu_ms']:.3f} ms CPU per request{extra})")
    ratio = results["gateway"]["rps"] / results["fast"]["rps"]
    table.add("gateway / no-op (same settings)",
              f"{results['gateway']['rps'] / results['hub']['rps']:.2f}x")
    table.add("gateway / no-op (uvloop + httptools)", f"{ratio:.2f}x",
              verdict(ratio >= 0.25 and not results["gateway"]["bad"], ">= 0.25x"))
    table.add("same, by CPU per request",
              f"{results['fast']['cpu_ms'] / results['gateway']['cpu_ms']:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run (~1.5 min)")
    parser.add_argument("--events", type=int, help="events preloaded for a. (20000)")
    parser.add_argument("--duration", type=float, help="seconds per rate for b. (60)")
    parser.add_argument("--rates", default="200,1000", help="post rates for b.")
    parser.add_argument("--search", type=int,
                        help="extra rates tried when the top rate misses p99 <= 250 ms (2)")
    parser.add_argument("--wrk-seconds", type=float, help="seconds per wrk run for c. (10)")
    parser.add_argument("--parts", default="abc", help="which parts to run")
    parser.add_argument("--profile", type=Path, help="py-spy raw profiles into this folder")
    args = parser.parse_args()
    count = args.events or (2000 if args.quick else 20_000)
    duration = args.duration or (10 if args.quick else 60)
    seconds = args.wrk_seconds or (4 if args.quick else 10)
    table, profiler = Table(), Profiler(args.profile)
    started = time.monotonic()
    if "a" in args.parts:
        throughput(table, count, profiler)
    if "b" in args.parts:
        search = args.search if args.search is not None else (0 if args.quick else 2)
        latency(table, [int(r) for r in args.rates.split(",")], duration, search, profiler)
    if "c" in args.parts:
        gateway(table, seconds, profiler)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nbench/stream.py {' '.join(sys.argv[1:])}  ({time.monotonic() - started:.0f} s, "
          f"{os.cpu_count()} cores, load average at the end {load})\n")
    print(table.render())


if __name__ == "__main__":
    main()
