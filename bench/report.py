"""The report: sections of tables and verdicts, rendered as Markdown and appended to docs/benchmarks.md."""

from __future__ import annotations

import os
import platform
import shlex
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

DOC_HEADER = """# Benchmarks

Figures from `bench/` (see `bench/README.md`): the real app in HTTP mode (`persona-bot serve` on uvicorn, with
`persona-bot worker` processes since the job queue) against the local Slack stand-in, a local OpenAI-compatible
server with a fixed latency, a real redis-server and the embedded DuckDB warehouse. Each run appends a dated
section below; compare figures within one section, since other work on the machine moves them between runs.
"""


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)

    def add(self, *cells: object) -> None:
        self.rows.append([str(c) for c in cells])

    def markdown(self) -> str:
        lines = ["| " + " | ".join(self.headers) + " |", "|" + "---|" * len(self.headers)]
        lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in self.rows]
        return "\n".join(lines)


@dataclass
class Verdict:
    what: str
    target: str
    value: str
    # None: recorded only (no target, or not measurable at this scale).
    met: bool | None

    @property
    def mark(self) -> str:
        return {True: "met", False: "**missed**", None: "–"}[self.met]


@dataclass
class Section:
    number: int
    title: str
    intro: str = ""
    tables: list[Table] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    profile: str = ""

    def markdown(self) -> str:
        parts = [f"### {self.number}. {self.title}"]
        if self.intro:
            parts.append(self.intro)
        parts += [t.markdown() for t in self.tables]
        if self.verdicts:
            verdicts = Table(["measure", "target", "result", "verdict"])
            for v in self.verdicts:
                verdicts.add(v.what, v.target, v.value, v.mark)
            parts.append(verdicts.markdown())
        parts += [f"- {note}" for note in self.notes] if self.notes else []
        if self.profile:
            parts.append(self.profile)
        return "\n\n".join(_join_bullets(parts))


def _join_bullets(parts: list[str]) -> list[str]:
    # Consecutive notes form one list rather than paragraphs of one bullet each.
    joined: list[str] = []
    for part in parts:
        if part.startswith("- ") and joined and joined[-1].startswith("- "):
            joined[-1] += "\n" + part
        else:
            joined.append(part)
    return joined


def machine_facts() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    os_name = platform.platform()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                pretty = line.split("=", 1)[1].strip().strip('"')
                os_name = f"{pretty}, Linux {platform.release()}"
    except OSError:
        pass
    return {
        "cores": str(os.cpu_count() or "?"),
        "cpu": cpu,
        "ram": ram,
        "python": platform.python_version(),
        "os": os_name,
    }


def load_average() -> str:
    try:
        return " / ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def command_line() -> str:
    args = " ".join(shlex.quote(a) for a in sys.argv[1:])
    return f".venv/bin/python -m bench {args}".strip()


@dataclass
class Report:
    started: datetime
    command: str
    settings: list[tuple[str, str]]
    sections: list[Section]
    summary: list[tuple[int, Verdict]]
    comparison: Table | None
    load_before: str
    load_after: str
    machine: dict[str, str] = field(default_factory=machine_facts)

    @property
    def noisy(self) -> bool:
        # A one-minute load average above the core count means the bench shared the CPUs with other work.
        try:
            worst = max(float(self.load_before.split(" / ")[0]), float(self.load_after.split(" / ")[0]))
        except ValueError:
            return False
        return worst > float(self.machine.get("cores", "1") or 1) * 0.75

    def markdown(self) -> str:
        m = self.machine
        when = self.started.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        lines = [
            f"## {when}" + (" (noisy machine)" if self.noisy else ""),
            "",
            f"- Command: `{self.command}`",
            f"- Machine: {m['cores']} cores ({m['cpu']}), {m['ram']} RAM, Python {m['python']}, {m['os']}",
            f"- Load average (1/5/15 min) before: {self.load_before}; after: {self.load_after}"
            + (" — other work was running, so absolute figures are high; ratios within this run still hold."
               if self.noisy else ""),
        ]
        lines += [f"- {name}: {value}" for name, value in self.settings]
        parts = ["\n".join(lines)]
        summary = Table(["#", "measure", "target", "result", "verdict"])
        for number, verdict in self.summary:
            summary.add(number, verdict.what, verdict.target, verdict.value, verdict.mark)
        parts.append("### Summary\n\n" + summary.markdown())
        if self.comparison is not None:
            parts.append(
                "### Naive designs, same run\n\nRatios are naive ÷ persona-bot (above 1× the naive design is worse)."
                "\n\n" + self.comparison.markdown()
            )
        parts += [s.markdown() for s in self.sections]
        return "\n\n".join(parts) + "\n"


def append(report: Report, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    existing = path.read_text(encoding="utf-8") if path.exists() else DOC_HEADER
    if not existing.endswith("\n"):
        existing += "\n"
    path.write_text(existing + "\n" + report.markdown(), encoding="utf-8")
