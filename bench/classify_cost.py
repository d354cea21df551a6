"""Per-message cost of the routing decisions (classify, flags, risk, route) on
one core: a few typical texts, then every message of the labelled corpus
(SMS to formal letters), plus the one-off cost of loading the model.

    .venv/bin/python bench/classify_cost.py [--rounds 2000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.evaluation import load  # noqa: E402
from hub.event import Context, Event  # noqa: E402
from hub.routers.classify import classify, flags_for  # noqa: E402
from hub.routers.identity import CustomerDirectory  # noqa: E402
from hub.routers.model import MODEL_FILE, SAFETY_MODEL_FILE, read_model  # noqa: E402
from hub.routers.pipeline import Router  # noqa: E402
from hub.routers.policy import load_policy  # noqa: E402

TEXTS = [
    "车辆在服务区无法启动,请求救援", "你们的销售态度太差了,我要投诉", "请问保养套餐还有优惠吗",
    "车窗关不上了，想预约维修", "我的車子在高速上拋錨了 需要拖車",
    "My car broke down on the highway, need a tow", "不是投诉,就是想问一下保养多少钱",
    "上个月刚修过 刹车还是有异响 你们的服务太差了 我要投诉 再不解决就找媒体曝光",
    "合同约定11月15日交车,到现在还没交,销售只说再等等,要求给出明确交车日期。" * 3,
    "你好 我的车昨天开始 刹车的时候方向盘有点抖 想约个时间检查一下", "TD",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args()
    events = [Event(event_id=f"e{i}", channel="sms", source="sms", channel_message_id=str(i),
                    received_at=datetime(2026, 11, 22, tzinfo=UTC), text=t,
                    context=Context(ivr_path=["4"]))
              for i, t in enumerate(TEXTS)]
    for name, path in (("type model", MODEL_FILE), ("safety model", SAFETY_MODEL_FILE)):
        started = time.perf_counter()
        model = read_model(path.read_bytes())
        print(f"{name} load: {(time.perf_counter() - started) * 1e3:.0f} ms "
              f"({model.feature_count} features, {path.stat().st_size // 1024} KiB)")
    corpus = [s.event() for s in load(Path(__file__).resolve().parent.parent / "tests" / "data" /
                                       "corpus")]
    router = Router(CustomerDirectory(), load_policy())
    for texts, sample, rounds in (("typical", events, args.rounds),
                                  ("corpus", corpus, max(1, args.rounds // 100))):
        for name, step in (("classify + flags", lambda e: (classify(e), flags_for(e))),
                           ("whole route (identify..policy)", router.route)):
            repeats = max(1, rounds // 5)  # per timing; five timings, the median reported
            us = []
            for _ in range(5):
                started = time.perf_counter()
                for _ in range(repeats):
                    for e in sample:
                        step(e)
                us.append((time.perf_counter() - started) / (repeats * len(sample)) * 1e6)
            print(f"{texts:<8} {name:<32} median {statistics.median(us):7.1f} µs/message "
                  f"(min {min(us):.1f}, max {max(us):.1f}; {len(sample)} texts x "
                  f"{repeats * 5})")


if __name__ == "__main__":
    main()
