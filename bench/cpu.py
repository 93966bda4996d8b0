"""CPU time of a server, read from /proc (Linux): the process and every process under it
(``serve --workers N`` runs its workers as children)."""

from __future__ import annotations

import os
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces: split after its closing one.
    return raw[raw.rindex(")") + 2 :].split()


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None and int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of the process and its living descendants, in seconds."""
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        fields = _stat(current)
        if fields is None:
            continue
        # utime and stime are fields 14 and 15 of stat; fields[0] here is field 3.
        total += (int(fields[11]) + int(fields[12])) / _TICKS
        pending += _children(current)
    return total
