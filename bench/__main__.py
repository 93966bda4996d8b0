"""`make bench` (`python -m bench`): every row, a Markdown table printed and written to
bench/results/latest.md.

Environment knobs (defaults are the full run):
  BENCH_DATABASES   sqlite,postgres
  BENCH_ONLY        send,inbound,simulator,scale,reads,memory,import (send and inbound:
                    against the fake Unipile and their floors; simulator: the send path
                    against the Unipile simulator, 0 and 300 ms, beside the same floor; scale:
                    PostgreSQL, one process vs `serve --workers 2` vs two processes, sends over
                    8 workspaces and over one)
  BENCH_QUICK=1     `make bench-quick`: the send and inbound ratios on both databases in under
                    three minutes (fewer requests; the other rows as a smoke run only)
  BENCH_REQUESTS    requests per measurement of the hot paths (1500)
  BENCH_SECONDS     ... or fewer, when this many seconds have passed (none; 4 with BENCH_QUICK)
  BENCH_REPEATS     repetitions of each hot-path measurement (3)
  BENCH_PROFILE=1   py-spy samples SkyLight's first repetition of each hot path; the summary
                    goes into the results, the raw stacks into bench/results/profiles/
  BENCH_WORK        a folder to keep the run's logs and databases in (default: a temporary one)
  BENCH_MEMORY_SENDS  sends between the two RSS readings (default 20000)
  BENCH_PROPOSED_INDEX=1  reads also run with the index the EXPLAIN asks for
  BENCH_IMPORT_ROWS rows of the contact import (default 100000; 5000 with BENCH_QUICK)
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path

from bench import report
from bench.contacts_import import ImportResult, contacts_import
from bench.databases import KINDS, postgres_version
from bench.hotpath import HotResult, run_paths
from bench.memory import MemoryResult, memory
from bench.reads import ReadResult, reads
from bench.scale import ScaleResult, scale_out

RESULTS = Path(__file__).parent / "results"
CONCURRENCY = 32


def _env_list(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = os.environ.get(name)
    return tuple(v.strip() for v in value.split(",") if v.strip()) if value else default


async def main() -> int:
    quick = os.environ.get("BENCH_QUICK") == "1"
    kinds = _env_list("BENCH_DATABASES", KINDS)
    everything = ("send", "inbound", "simulator", "scale", "reads", "memory", "import")
    only = _env_list("BENCH_ONLY", ("send", "inbound") if quick else everything)
    requests = int(os.environ.get("BENCH_REQUESTS", "1500"))
    seconds = float(os.environ.get("BENCH_SECONDS", "4" if quick else "0")) or None
    repeats = int(os.environ.get("BENCH_REPEATS", "3"))
    sizes = (1_000, 10_000) if quick else (10_000, 100_000, 1_000_000)
    read_requests = 50 if quick else 300
    memory_sends = int(os.environ.get("BENCH_MEMORY_SENDS", "2000" if quick else "20000"))
    proposed = os.environ.get("BENCH_PROPOSED_INDEX") == "1"
    profile = RESULTS / "profiles" if os.environ.get("BENCH_PROFILE") == "1" else None
    import_rows = int(os.environ.get("BENCH_IMPORT_ROWS", "5000" if quick else "100000"))

    hot_results: list[HotResult] = []
    read_results: list[ReadResult] = []
    proposed_results: list[ReadResult] = []
    memory_results: list[MemoryResult] = []
    scale_results: list[ScaleResult] = []
    import_results: list[ImportResult] = []
    plans: dict[str, str] = {}
    started = time.monotonic()
    load_before = _load()
    # BENCH_WORK keeps the processes' logs and databases for a look afterwards.
    keep = os.environ.get("BENCH_WORK")
    with (
        contextlib.nullcontext(keep) if keep else tempfile.TemporaryDirectory(prefix="bench-")
    ) as tmp:
        work = Path(tmp)
        for kind in kinds:
            paths = tuple(p for p in ("send", "inbound") if p in only)
            if paths:
                _say(f"{' and '.join(paths)} on {kind}, fake Unipile, against the floor")
                hot_results += await run_paths(
                    kind,
                    work / f"hot-{kind}",
                    upstream="fake",
                    paths=paths,
                    requests=requests,
                    repeats=repeats,
                    concurrency=CONCURRENCY,
                    seconds=seconds,
                    profile=profile,
                )
            if "simulator" in only:
                _say(f"send on {kind}, Unipile simulator, against the floor")
                hot_results += await run_paths(
                    kind,
                    work / f"sim-{kind}",
                    upstream="simulator",
                    paths=("send",),
                    requests=max(requests * 2 // 3, 100),
                    repeats=repeats,
                    concurrency=CONCURRENCY,
                    seconds=seconds,
                    latencies=(0, 300),
                )
            if "reads" in only:
                _say(f"reads on {kind}")
                found, plans[kind] = await reads(
                    kind, work / f"reads-{kind}", sizes, requests=read_requests
                )
                read_results += found
                if proposed:
                    _say(f"reads on {kind}, with the proposed index")
                    found, plans[f"{kind} (proposed index)"] = await reads(
                        kind,
                        work / f"reads-idx-{kind}",
                        sizes,
                        requests=read_requests,
                        proposed_index=True,
                    )
                    proposed_results += found
            if "import" in only:
                _say(f"contact import of {import_rows} rows on {kind}")
                import_results.append(
                    await contacts_import(kind, work / f"import-{kind}", rows=import_rows)
                )
        if "scale" in only and "postgres" in kinds:
            _say("scale-out on postgres: 1 process, --workers 2, 2 processes")
            scale_results = await scale_out(
                work / "scale",
                requests=requests,
                repeats=repeats,
                concurrency=CONCURRENCY,
                profile=profile,
            )
        if "memory" in only:
            _say(f"memory: {memory_sends} sends on sqlite")
            memory_results.append(
                await memory("sqlite", work / "memory", sends=memory_sends, concurrency=CONCURRENCY)
            )

    lines = ["## Benchmark results", ""]
    lines += report.machine(
        await postgres_version() if "postgres" in kinds else "-", load_before, _load()
    )
    lines.append(
        f"- Whole run: {time.monotonic() - started:.0f} s{' (BENCH_QUICK)' if quick else ''}"
    )
    for table in (
        report.hot_table(hot_results, CONCURRENCY, requests, seconds) if hot_results else [],
        report.scale_table(scale_results, CONCURRENCY, requests) if scale_results else [],
        report.read_table(read_results, read_requests) if read_results else [],
        report.read_table(proposed_results, read_requests, " (with the proposed index)")
        if proposed_results
        else [],
        report.memory_table(memory_results) if memory_results else [],
        report.import_table(import_results) if import_results else [],
    ):
        if table:
            lines += ["", *table]
    for r in hot_results:
        if r.profile:
            lines += ["", f"### Profile: {r.path} on {r.database} ({r.upstream}), py-spy", ""]
            lines += r.profile
    if plans:
        lines += ["", "### Query plans at the largest size", ""]
        for kind, plan in plans.items():
            lines += [f"{kind}:", "", "```", plan, "```", ""]
    document = "\n".join(lines).rstrip() + "\n"
    print(document)
    RESULTS.mkdir(exist_ok=True)
    name = "quick.md" if quick else "latest.md"
    (RESULTS / name).write_text(document)
    _say(f"written to {RESULTS / name}")
    failures = [
        *(e for r in hot_results for e in r.ours.errors + r.floor.errors),
        *(e for r in memory_results for e in r.stats.errors),
        *(e for r in import_results for e in r.errors),
        *(e for r in read_results + proposed_results for s in r.stats.values() for e in s.errors),
    ]
    lost = [r for r in hot_results if r.stored != r.sent]
    for error in failures[:20]:
        _say(f"error: {error}")
    for r in lost:
        _say(f"inbound on {r.database}: {r.sent} sent, {r.stored} stored")
    return 1 if failures or lost else 0


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def _say(text: str) -> None:
    print(f"[bench] {text}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
