"""Probing the running `serve` from outside, as an attacker on the loopback would: its process, its memory, and
oversized bodies streamed at it. Shared by the front-door tests and `scripts/measure_front_door.py`."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.slack_harness import Harness

MB = 1024 * 1024


def port_of(h: Harness) -> int:
    return int(h.url.rsplit(":", 1)[1])


def serving_pid(h: Harness) -> int:
    """The serving process: the one whose command line is `serve … --port N`."""
    port = str(port_of(h)).encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"serve" in args and port in args:
            return int(entry.name)
    raise AssertionError("no serving process found")


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


@contextmanager
def peak_rss(pid: int, every: float) -> Iterator[list[int]]:
    """`[baseline, peak]` of the process's resident memory, sampled every `every` seconds while the block runs."""
    figures = [rss(pid)] * 2
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            figures[1] = max(figures[1], rss(pid))
            time.sleep(every)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        yield figures
    finally:
        stop.set()
        sampler.join()


def stream_oversized(h: Harness, head: bytes, size: int, statuses: list[int], timeout: float) -> None:
    """Sends `head` declaring `size` bytes, then the body in 1 MB pieces until the server stops listening; appends
    the status it answered (0 for none)."""
    with socket.create_connection(("127.0.0.1", port_of(h)), timeout=timeout) as sock:
        sock.sendall(head)
        chunk, sent = b"x" * MB, 0
        try:
            while sent < size:
                sock.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass  # refused and closed: the rest of the body was never wanted
        try:
            answer = sock.recv(65536)
            statuses.append(int(answer.split(b" ", 2)[1]) if answer else 0)
        except OSError:
            statuses.append(0)
