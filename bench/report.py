"""The bench's results as one Markdown document (printed, and written to results/latest.md)."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from bench.contacts_import import ImportResult
from bench.hotpath import HotResult, Side
from bench.memory import MemoryResult
from bench.reads import ReadResult
from bench.scale import ScaleResult

MIB = 1024 * 1024


def _ms(value: float) -> str:
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def _errors(count: int) -> str:
    return "0" if count == 0 else f"**{count}**"


def machine(postgres: str, load_before: str, load_after: str) -> list[str]:
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
        f"(1, 5, 15 min) {load_before} before the run, {load_after} after (anything else "
        "running shares the cores: compare within a run)",
    ]


def _spread(values: list[float], digits: int = 0) -> str:
    return f"{min(values):.{digits}f}-{max(values):.{digits}f}" if values else "-"


def _side(side: Side) -> str:
    return f"{side.rate:.0f} [{_spread(side.rates)}]"


def hot_table(
    results: list[HotResult], concurrency: int, requests: int, seconds: float | None
) -> list[str]:
    """SkyLight and its floor, medians of the repetitions with [min-max]."""
    repeats = max((len(r.ours.stats) for r in results), default=0)
    lines = [
        f"### Send and inbound against their floors: {concurrency} concurrent clients, "
        f"{requests} requests{f' or {seconds:g} s' if seconds else ''} each, medians of "
        f"{repeats} with [min-max]",
        "",
        "| path | database | upstream | SkyLight /s | floor /s | SkyLight / floor "
        "| p50 / p99 ms | floor p50 / p99 ms | CPU ms/req SkyLight / floor | errors |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        errors = len(r.ours.errors) + len(r.floor.errors)
        lines.append(
            f"| {r.path} | {r.database} | {r.upstream} | {_side(r.ours)} | {_side(r.floor)} "
            f"| **{r.ratio:.2f}** [{_spread(r.ratios, 2)}] "
            f"| {_ms(r.ours.p50)} / {_ms(r.ours.p99)} | {_ms(r.floor.p50)} / {_ms(r.floor.p99)} "
            f"| {r.ours.cpu_ms:.1f} / {r.floor.cpu_ms:.1f} | {_errors(errors)} |"
        )
    inbound = [r for r in results if r.path == "inbound"]
    if inbound:
        lines.append("")
        lines.append(
            "Inbound counts an event when it is stored, not when it is answered; drain = the "
            "longest wait after the last answer: "
            + "; ".join(
                f"{r.database} {r.ours.drain:.2f} s, {r.stored} of {r.sent} stored" for r in inbound
            )
            + "."
        )
    return lines


def scale_table(results: list[ScaleResult], concurrency: int, requests: int) -> list[str]:
    repeats = max((len(r.rates) for r in results), default=0)
    base = {r.spread: r.rate for r in results if r.layout == "1 process"}
    lines = [
        f"### Scale-out on PostgreSQL: `POST /api/v1/messages/send`, {concurrency} concurrent "
        f"clients, {requests} requests, medians of {repeats} with [min-max], fake Unipile",
        "",
        "| layout | sends over | req/s | vs 1 process | CPU ms/req (all processes) |",
        "|---|---|---:|---:|---:|",
    ]
    for r in results:
        cpu = statistics.median(r.cpu_ms)
        lines.append(
            f"| {r.layout} | {r.spread} | {r.rate:.0f} [{_spread(r.rates)}] "
            f"| {r.rate / base[r.spread]:.2f} | {cpu:.1f} |"
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
