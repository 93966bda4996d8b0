"""What the hardening suites share: their knobs, a line-per-check verdict, the exit code."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field

from bench.databases import KINDS
from bench.loadgen import Stats


def quick() -> bool:
    return "--quick" in sys.argv[1:] or os.environ.get("HARDENING_QUICK") == "1"


def databases() -> tuple[str, ...]:
    value = os.environ.get("HARDENING_DATABASES")
    return tuple(v.strip() for v in value.split(",") if v.strip()) if value else KINDS


def say(text: str) -> None:
    print(text, flush=True)


@dataclass
class Verdict:
    name: str
    failures: list[str] = field(default_factory=list)
    checks: int = 0

    def check(self, ok: bool, what: str) -> bool:
        self.checks += 1
        say(f"  {'ok  ' if ok else 'FAIL'} {what}")
        if not ok:
            self.failures.append(what)
        return ok

    def finish(self) -> int:
        passed = self.checks - len(self.failures)
        say(f"{self.name}: {passed} passed, {len(self.failures)} failed")
        return 1 if self.failures else 0


def stats_table(stats: Stats) -> list[str]:
    lines = [
        "  | operation | requests | req/s | p50 ms | p99 ms | errors |",
        "  |---|---:|---:|---:|---:|---:|",
    ]
    for label, part in sorted(stats.by_label.items()):
        lines.append(
            f"  | {label} | {part.count} | {part.count / stats.elapsed:.0f} | {part.p50:.1f} "
            f"| {part.p99:.1f} | {len(part.errors)} |"
        )
    lines.append(
        f"  | all | {stats.count} | {stats.rps:.0f} | {stats.p50:.1f} | {stats.p99:.1f} "
        f"| {len(stats.errors)} |"
    )
    return lines


def server_log_problems(log: str) -> list[str]:
    """Errors the server logged, each with the exception that ended its traceback (an
    unhandled error is a bug even when the client got a clean answer)."""
    problems: list[str] = []
    in_traceback = False
    for line in log.splitlines():
        if " ERROR " in line:
            problems.append(line.strip())
        elif line.startswith("Traceback"):
            in_traceback = True
        elif in_traceback and line and not line[0].isspace():
            problems.append(f"  -> {line.strip()}")
            in_traceback = False
    return problems


def first_traceback(log: str, limit: int = 80) -> list[str]:
    """The first logged traceback in full, so a failure in CI can be read without the log."""
    lines = log.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("Traceback"):
            return lines[max(0, i - 1) : i + limit]
    return []
