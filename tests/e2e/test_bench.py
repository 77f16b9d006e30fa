"""The bench runner at a tiny scale: every process it starts, every measurement, a well-formed report.

Timings are not asserted (speed belongs to the bench itself); what must hold on any machine is asserted: each
section is there with its table, the comparison is there, single-flight made one LLM call where the design
without it made one per user, and appending keeps earlier runs.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench.profile import summarize
from bench.report import DOC_HEADER, append
from bench.run import Options, parse_args, run
from bench.scale import QUICK, TINY
from bench.sections import TITLES
from bench.stats import pct
from tests.support.redis_server import require_redis_server

COMMAND = ".venv/bin/python -m bench --scale tiny --llm-latency 0.05"


@pytest.fixture(scope="module")
def report_text(tmp_path_factory: pytest.TempPathFactory) -> str:
    require_redis_server()
    out = tmp_path_factory.mktemp("bench") / "benchmarks.md"
    options = Options(scale=TINY, llm_latency=0.05, output=out, bigquery=False, profile=False, command=COMMAND)
    report = run(options)
    append(report, out)
    append(report, out)
    return out.read_text(encoding="utf-8")


def _section(text: str, number: int) -> str:
    start = text.index(f"### {number}. ")
    following = text.find("\n### ", start + 1)
    return text[start:] if following < 0 else text[start:following]


def test_the_report_starts_the_document_and_each_run_is_dated_with_machine_and_command(report_text: str) -> None:
    assert report_text.startswith(DOC_HEADER)
    runs = re.findall(r"^## \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", report_text, flags=re.MULTILINE)
    assert len(runs) == 2, "appending twice keeps both runs"
    assert f"- Command: `{COMMAND}`" in report_text
    assert re.search(r"- Machine: \d+ cores \(.+\), [\d.]+ GiB RAM, Python 3\.\d+", report_text)
    assert "fixed latency 0.05 s" in report_text


def test_every_measurement_has_its_section_with_a_filled_table(report_text: str) -> None:
    for number, title in TITLES.items():
        section = _section(report_text, number)
        assert section.startswith(f"### {number}. {title}")
        rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| design")]
        assert len(rows) >= 2, f"section {number} has no table rows"
    assert "### Summary" in report_text
    assert "### Naive designs, same run" in report_text


def test_every_summary_line_has_a_target_a_result_and_a_verdict(report_text: str) -> None:
    summary = report_text.split("### Summary", 1)[1].split("###", 1)[0]
    rows = [line.split(" | ") for line in summary.splitlines() if re.match(r"^\| \d ", line)]
    assert {int(cells[0].strip("| ")) for cells in rows} == set(TITLES)
    for cells in rows:
        assert len(cells) == 5 and cells[3].strip() and cells[4].strip(" |") in {"met", "**missed**", "–"}


def test_single_flight_makes_one_llm_call_and_the_naive_design_one_per_user(report_text: str) -> None:
    section = _section(report_text, 5)
    calls = {cells[1].strip(): int(cells[3]) for cells in (line.split("|") for line in section.splitlines())
             if len(cells) > 4 and cells[3].strip().isdigit()}
    assert calls["persona-bot (ack at once, cache, single-flight)"] == 1
    assert calls["naive: no cache, no single-flight"] == TINY.single_flight_users
    assert "not measured" in _section(report_text, 8)  # the emulator was switched off for this run


def test_the_ack_after_generate_design_puts_the_card_in_the_ack(report_text: str) -> None:
    # Its cards arrive with the HTTP response: the card columns are filled and nothing was lost.
    row = next(line for line in _section(report_text, 1).splitlines() if line.startswith("| naive: ack after"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[-1] == "0" and cells[-3].endswith("ms")


def test_a_worker_killed_mid_generation_still_delivers_exactly_one_card(report_text: str) -> None:
    section = _section(report_text, 9)
    row = next(line for line in section.splitlines() if re.match(r"^\| \d+ \| [\d,.]+ ms \|", line))
    trials, _, _, no_card, more_than_one, _ = (c.strip() for c in row.strip("|").split("|"))
    assert (int(trials), no_card, more_than_one) == (TINY.death_trials, "0", "0")
    assert "web + 2 workers (job queue)" in section and "before the queue" in section


def test_options_from_the_command_line() -> None:
    options = parse_args(["--quick", "--only", "1,3", "--only", "8", "--no-append", "--llm-latency", "0.2",
                          "--price-input", "1.5", "--price-output", "3"])
    assert options.scale == QUICK and options.only == {1, 3, 8} and not options.append
    assert (options.llm_latency, options.price_input, options.price_output) == (0.2, 1.5, 3.0)
    with pytest.raises(SystemExit):
        parse_args(["--only", "10"])


def test_percentiles_interpolate_between_ranks() -> None:
    assert pct([], 50) is None
    assert pct([5.0], 99) == 5.0
    assert pct([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert pct(list(map(float, range(101))), 99) == 99.0


def test_a_py_spy_profile_is_summarized_by_project_function_and_own_time(tmp_path: Path) -> None:
    raw = "\n".join([
        "handle (/app/bot/http_server.py:40);run (/v/site-packages/slack_bolt/listener/thread_runner.py:163) 30",
        "handle (/app/bot/http_server.py:40);write (/app/bot/service.py:12);read (/usr/lib/python3.11/socket.py:9) 10",
        "not a stack line",
    ])
    summary = summarize(raw, top=5)
    assert "40 on-CPU samples" in summary
    assert "| 100% | `handle (bot/http_server.py)` |" in summary
    assert "| 25% | `write (bot/service.py)` |" in summary
    assert "| 75% | `run (slack_bolt/listener/thread_runner.py)` |" in summary
    assert summarize("") == "Profile empty: the worker was idle while sampled."
