"""Where a server's CPU goes while a measurement runs: py-spy samples the process (and its
workers), and the samples are summed by what ran (self time: the innermost frame).

``BENCH_PROFILE=1 make bench-quick`` profiles SkyLight's first repetition of each hot path and
writes the summaries, and py-spy's raw stacks (for a flame graph: ``speedscope`` or
``flamegraph.pl``), next to the results. py-spy needs to ptrace the server (root, or
``kernel.yama.ptrace_scope=0``)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

# py-spy names a frame's file by its module path ("sqlalchemy/orm/session.py"): the first
# part says what the time went to.
NAMES = {
    "skylight": "SkyLight (our code)",
    "sqlalchemy": "SQLAlchemy",
    "asyncpg": "asyncpg",
    "aiosqlite": "aiosqlite (its thread included)",
    "httpx": "httpx",
    "httpcore": "httpcore",
    "h11": "h11",
    "anyio": "anyio",
    "uvicorn": "uvicorn",
    "starlette": "Starlette",
    "fastapi": "FastAPI",
    "pydantic": "pydantic",
    "pydantic_core": "pydantic",
    "prometheus_client": "prometheus_client",
    "limits": "limits (rate limiter)",
    "greenlet": "greenlet",
}
STDLIB = {
    "asyncio": "asyncio (uvloop's C loop shows as Runner.run)",
    "logging": "logging",
    "json": "json",
    "threading.py": "threading (waits on aiosqlite's queue)",
}


def available() -> bool:
    return shutil.which("py-spy") is not None or (Path(sys.executable).parent / "py-spy").exists()


class Recording:
    """``py-spy record`` on a process until stopped."""

    def __init__(self, pid: int, raw: Path) -> None:
        native = bool(os.environ.get("BENCH_PROFILE_NATIVE"))
        exe = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        self.raw = raw
        raw.parent.mkdir(parents=True, exist_ok=True)
        raw.unlink(missing_ok=True)
        self.popen = subprocess.Popen(
            [
                *(exe, "record", "--pid", str(pid), "--subprocesses", "--rate", "200"),
                # C frames too (asyncpg, uvloop, sqlite3), at the price of pausing the process.
                *(("--native",) if native else ("--nonblocking",)),
                *("--format", "raw", "--output", str(raw)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=raw.with_suffix(".log").open("wb"),
        )

    def stop(self) -> None:
        self.popen.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        try:
            self.popen.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.popen.kill()


def _path(frame: str) -> str:
    return frame.rpartition(" (")[2].rstrip(")").rsplit(":", 1)[0]


def _category(frame: str) -> str:
    first = _path(frame).split("/", 1)[0]
    if first in NAMES:
        return NAMES[first]
    if first in STDLIB:
        return STDLIB[first]
    if first.removesuffix(".py") in sys.stdlib_module_names or first.startswith("<frozen"):
        return "other standard library"
    return "other"


def summarise(raw: Path, *, top: int = 25) -> list[str]:
    """Self time by category and by function, as Markdown."""
    by_category: Counter[str] = Counter()
    by_function: Counter[str] = Counter()
    ours: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines() if raw.exists() else []:
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        leaf = frames[-1]
        # Idle waiting is not CPU: py-spy (without --idle) leaves out threads that sleep.
        by_category[_category(leaf)] += int(count)
        by_function[_short(leaf)] += int(count)
        # Inclusive time of our own functions (each counted once per stack).
        for frame in {f for f in frames if _path(f).startswith("skylight/")}:
            ours[_short(frame)] += int(count)
        total += int(count)
    if not total:
        return ["(no samples)"]
    lines = ["| self time | share |", "|---|---:|"]
    lines += [f"| {name} | {n / total:.1%} |" for name, n in by_category.most_common()]
    lines += ["", "| function (self time) | share |", "|---|---:|"]
    lines += [f"| `{name}` | {n / total:.1%} |" for name, n in by_function.most_common(top)]
    lines += ["", "| SkyLight function (inclusive) | share |", "|---|---:|"]
    lines += [f"| `{name}` | {n / total:.1%} |" for name, n in ours.most_common(top)]
    lines.append(f"\n{total} samples at 200 Hz.")
    return lines


def _short(frame: str) -> str:
    """``name (path/to/module.py:12)`` -> ``name (module.py)``."""
    name = frame.rpartition(" (")[0]
    return f"{name} ({'/'.join(_path(frame).split('/')[-2:])})"
