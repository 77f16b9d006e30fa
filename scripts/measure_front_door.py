"""Load figures for the front door of HTTP mode, against the real `persona-bot serve` on 127.0.0.1 only.

    .venv/bin/python scripts/measure_front_door.py [--idle 1000] [--posts 20] [--post-mb 100] [--refused 100]

Starts the bot with the local Slack stand-in and the sample warehouse, then measures:

- idle connections: N sockets that each send half a request line and stall; /healthz latency and a signed
  command's ack while they are open;
- memory under M parallel unsigned POSTs that each declare and stream a 100 MB body;
- log growth per refused request: unsigned 1 MB bodies with a wrong signature.

Every number is bounded by the arguments; nothing leaves the loopback interface. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.dataset import read_dataset, sample_dataset_dir
from bot.warehouse.duckdb import write_duckdb_file
from tests.support.front_door_probe import MB, peak_rss, port_of, rss, serving_pid, stream_oversized
from tests.support.slack_harness import Harness, is_card, running_bot, wait_url


def _head(length: int) -> bytes:
    return (f"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {length}\r\nX-Slack-Request-Timestamp: {int(time.time())}\r\n"
            f"X-Slack-Signature: v0={'0' * 64}\r\n\r\n").encode()


def healthz_ms(h: Harness) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(f"{h.url}/healthz", timeout=10) as resp:
        assert resp.status == 200
    return (time.perf_counter() - started) * 1000


def idle_connections(h: Harness, count: int) -> dict[str, object]:
    sockets = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port_of(h)), timeout=5)
        sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\n")
        sockets.append(sock)
    try:
        time.sleep(1.0)
        samples = [healthz_ms(h) for _ in range(50)]
        started = time.perf_counter()
        resp = h.sender.slash_command("fitness enthusiasts", user_id="U0MEASURE", channel_id="C0MEASURE",
                                      response_url=h.standin.response_url("measure", channel_id="C0MEASURE"))
        ack_ms = (time.perf_counter() - started) * 1000
        assert resp.status == 200
        wait_url(h, "measure", is_card)
        resident = rss(serving_pid(h))
    finally:
        for sock in sockets:
            sock.close()
    return {"idle_connections": count, "healthz_ms_p50": round(statistics.median(samples), 2),
            "healthz_ms_max": round(max(samples), 2), "command_ack_ms": round(ack_ms, 1),
            "rss_mb_with_idle": round(resident / MB, 1)}


def big_posts(h: Harness, count: int, size_mb: int) -> dict[str, object]:
    statuses: list[int] = []
    started = time.perf_counter()
    with peak_rss(serving_pid(h), every=0.01) as memory:
        threads = [threading.Thread(target=stream_oversized, args=(h, _head(size_mb * MB), size_mb * MB, statuses, 30))
                   for _ in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    elapsed = time.perf_counter() - started
    baseline, peak = memory
    return {"parallel_posts": count, "declared_mb_each": size_mb, "statuses": sorted(set(statuses)),
            "rss_mb_before": round(baseline / MB, 1), "rss_mb_peak": round(peak / MB, 1),
            "rss_mb_growth": round((peak - baseline) / MB, 1), "seconds": round(elapsed, 2)}


def log_growth(h: Harness, count: int) -> dict[str, object]:
    body = (b"MARKER " + b"x" * MB)[:MB]
    before = h.log.stat().st_size
    for _ in range(count):
        with socket.create_connection(("127.0.0.1", port_of(h)), timeout=10) as sock:
            sock.sendall(_head(len(body)) + body)
            sock.recv(65536)
    time.sleep(0.5)
    grown = h.log.stat().st_size - before
    return {"refused_requests": count, "body_bytes_each": len(body), "log_bytes_grown": grown,
            "log_bytes_per_request": round(grown / count, 1), "body_text_in_log": b"MARKER" in h.log.read_bytes()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=int, default=1000, choices=range(1, 5001), metavar="N")
    parser.add_argument("--posts", type=int, default=20, choices=range(1, 51), metavar="M")
    parser.add_argument("--post-mb", type=int, default=100, choices=range(1, 201), metavar="MB")
    parser.add_argument("--refused", type=int, default=100, choices=range(1, 1001), metavar="K")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="front-door-") as tmp:
        work = Path(tmp)
        warehouse = work / "sample.duckdb"
        write_duckdb_file(warehouse, read_dataset(sample_dataset_dir()))
        with running_bot(work, warehouse) as h:
            figures = {
                "idle": idle_connections(h, args.idle),
                "big_posts": big_posts(h, args.posts, args.post_mb),
                "log": log_growth(h, args.refused),
            }
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
