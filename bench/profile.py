"""Profiles of the bot worker with py-spy (sampling, attached by pid: the bot runs unchanged).

Used when a target is missed: the phase is run again with py-spy attached and the top of the profile goes into the
report under the miss. py-spy is in the `bench` extra; without it the report says the profile was not taken.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")
PROJECT_DIRS = ("bot/", "handlers/", "prompts/")


def py_spy() -> str | None:
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


class Profiler:
    """`with Profiler(pid, out, idle=...) as p:` samples the process; `p.summary()` afterwards."""

    def __init__(self, pid: int, out: Path, *, idle: bool = False, rate: int = 200):
        self.pid, self.out, self.idle, self.rate = pid, out, idle, rate
        self.proc: subprocess.Popen[bytes] | None = None
        self.error: str | None = None

    def __enter__(self) -> Profiler:
        exe = py_spy()
        if exe is None:
            self.error = "py-spy is not installed (pip install -e '.[bench]')"
            return self
        cmd = [exe, "record", "--pid", str(self.pid), "--rate", str(self.rate), "--format", "raw",
               "--output", str(self.out), "--nonblocking"]
        if self.idle:
            cmd.append("--idle")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is None:
            return
        # py-spy writes its output when interrupted, as after Ctrl+C.
        self.proc.send_signal(signal.SIGINT)
        try:
            _, err = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        if not self.out.exists():
            lines = (err or b"").decode(errors="replace").strip().splitlines()
            self.error = lines[-1] if lines else "py-spy wrote nothing"

    def summary(self, top: int = 12) -> str:
        if self.error:
            return f"Profile not taken: {self.error}."
        return summarize(self.out.read_text(encoding="utf-8", errors="replace"), top=top, idle=self.idle)


def _frame(text: str) -> str:
    found = FRAME.match(text.strip())
    if not found:
        return text.strip()
    path = found["file"]
    for marker in ("site-packages/", "/lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    else:
        for folder in PROJECT_DIRS:
            if f"/{folder}" in path:
                path = folder + path.split(f"/{folder}", 1)[1]
                break
    return f"{found['func']} ({path})"


def summarize(raw: str, top: int = 12, *, idle: bool = False) -> str:
    """Top functions by samples on the stack (inclusive) among the project's code, and by own samples overall.

    With `idle`, waiting threads are sampled too: the shares are of wall-clock thread time, so they show where
    threads wait (for a lock, a queue, a socket) rather than where the CPU goes.
    """
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [_frame(f) for f in stack.split(";") if f]
        total += n
        if frames:
            own[frames[-1]] += n
        for name in set(frames):
            inclusive[name] += n
    if total == 0:
        return "Profile empty: the worker was idle while sampled."
    project = [(name, n) for name, n in inclusive.most_common() if name.split(" (")[-1].startswith(PROJECT_DIRS)]
    kind = "wall-clock samples of every thread (idle included)" if idle else "on-CPU samples"
    lines = [f"py-spy, {total} {kind} of the bot worker. Project functions by share of samples on the stack:", "",
             "| share | function |", "|---|---|"]
    lines += [f"| {n / total:.0%} | `{name}` |" for name, n in project[:top]]
    where = "where threads are" if idle else "where the CPU time is spent"
    lines += ["", f"Functions by own samples ({where}):", "", "| share | function |", "|---|---|"]
    lines += [f"| {n / total:.0%} | `{name}` |" for name, n in own.most_common(top)]
    return "\n".join(lines)
