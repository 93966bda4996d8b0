"""The bench's results as one Markdown document (printed, and written to results/latest.md)."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from bench.contacts_import import ImportResult
from bench.inbound import InboundResult
from bench.memory import MemoryResult
from bench.reads import ReadResult
from bench.send import SendResult

MIB = 1024 * 1024


def _ms(value: float) -> str:
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def _errors(count: int) -> str:
    return "0" if count == 0 else f"**{count}**"


def machine(postgres: str, load_before: str) -> list[str]:
    memory = int(Path("/proc/meminfo").read_text().split()[1]) * 1024
    commit = (
        os.environ.get("BENCH_COMMIT")
        or subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip()
    )
    return [
        f"- Machine: {os.cpu_count()} cores ({platform.processor() or platform.machine()}), "
        f"{memory / 1024**3:.0f} GiB memory, {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}, PostgreSQL {postgres}, SQLite "
        f"{__import__('sqlite3').sqlite_version}",
        f"- Commit {commit or '?'}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load average "
        f"before the run {load_before} (anything else running shares the two cores)",
    ]


def send_table(results: list[SendResult], concurrency: int) -> list[str]:
    lines = [
        f"### Send path: `POST /api/v1/messages/send`, {concurrency} concurrent clients",
        "",
        "| database | upstream latency | requests | SkyLight req/s | p50 ms | p99 ms "
        "| floor req/s | floor p50 ms | floor p99 ms | SkyLight / floor | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        errors = len(r.ours.errors) + len(r.floor.errors)
        lines.append(
            f"| {r.database} | {r.latency_ms} ms | {r.ours.count} | {r.ours.rps:.0f} "
            f"| {_ms(r.ours.p50)} | {_ms(r.ours.p99)} | {r.floor.rps:.0f} | {_ms(r.floor.p50)} "
            f"| {_ms(r.floor.p99)} | **{r.ratio:.2f}** | {_errors(errors)} |"
        )
    return lines


def read_table(results: list[ReadResult], requests: int, note: str = "") -> list[str]:
    sizes = sorted({r.messages for r in results})
    head = " | ".join(f"{_size(s)} p50 / p99 ms" for s in sizes)
    lines = [
        f"### Reads: page 1, one request at a time, {requests} requests each{note}",
        "",
        f"| database | endpoint | {head} | {_size(sizes[-1])}/{_size(sizes[0])} p50 "
        f"| {_size(sizes[-1])}/{_size(sizes[0])} p99 |",
        "|---|---|" + "---:|" * (len(sizes) + 2),
    ]
    for database in dict.fromkeys(r.database for r in results):
        rows = {r.messages: r for r in results if r.database == database}
        for endpoint in rows[sizes[0]].stats:
            cells = []
            for size in sizes:
                stats = rows[size].stats[endpoint]
                bad = f" ({len(stats.errors)} errors)" if stats.errors else ""
                cells.append(f"{_ms(stats.p50)} / {_ms(stats.p99)}{bad}")
            first, last = rows[sizes[0]].stats[endpoint], rows[sizes[-1]].stats[endpoint]
            lines.append(
                f"| {database} | {endpoint} | {' | '.join(cells)} "
                f"| {_ratio(last.p50 / first.p50)} | {_ratio(last.p99 / first.p99)} |"
            )
    return lines


def _ratio(value: float) -> str:
    return f"{value:.2f}" if value < 1.5 else f"**{value:.2f}**"


def _size(messages: int) -> str:
    return f"{messages // 1_000_000}M" if messages >= 1_000_000 else f"{messages // 1000}k"


def inbound_table(results: list[InboundResult], concurrency: int) -> list[str]:
    lines = [
        f"### Inbound: Unipile `message_received` webhooks, {concurrency} concurrent",
        "",
        "| database | events | events/s | p50 ms | p99 ms | stored | errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.database} | {r.stats.count} | {r.stats.rps:.0f} | {_ms(r.stats.p50)} "
            f"| {_ms(r.stats.p99)} | {r.stored} | {_errors(len(r.stats.errors))} |"
        )
    return lines


def memory_table(results: list[MemoryResult]) -> list[str]:
    lines = [
        "### Memory: server RSS",
        "",
        "| database | sends | at start | after 1k-send warm-up | after the sends | growth "
        "| req/s | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.database} | {r.sends} | {r.started / MIB:.0f} MiB | {r.warmed / MIB:.0f} MiB "
            f"| {r.after / MIB:.0f} MiB | {(r.after - r.warmed) / MIB:+.1f} MiB "
            f"| {r.stats.rps:.0f} | {_errors(len(r.stats.errors))} |"
        )
    return lines


def import_table(results: list[ImportResult]) -> list[str]:
    lines = [
        "### Contact import: `POST /api/v1/contacts/imports` (CSV), one server process",
        "",
        "| database | run | rows | created | updated | seconds | rows/s | upload s "
        "| RSS before | peak RSS growth |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        for label, run in (("new contacts", r.first), ("same file again", r.again)):
            lines.append(
                f"| {r.database} | {label} | {run.rows} | {run.created} | {run.updated} "
                f"| {run.seconds:.1f} | {run.rows_per_second:.0f} | {run.upload_seconds:.2f} "
                f"| {run.rss_before / MIB:.0f} MiB | {run.growth / MIB:+.1f} MiB |"
            )
    return lines
