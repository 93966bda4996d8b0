"""`make fuzz`: schemathesis against our OpenAPI document, every operation, with a real key and
the Unipile webhook secret, against a real `skylight serve` in sandbox mode (with a connected
WhatsApp channel and contacts, so sends and histories have something to work on), on SQLite
and on PostgreSQL. Passes with zero 5xx and zero answers that contradict the document.

Every schemathesis check runs but two:
- positive_data_acceptance expects every schema-valid request to succeed, and ours rightly
  refuse some on business rules the schema cannot carry (an empty phone, a contact whose
  channel is not connected, a NUL in an id, an empty webhook);
- allow_header_conformance: on a 405 Starlette's Allow header names the methods of the first
  route at that path only (OPTIONS /contacts/1 says GET, not GET, PATCH, DELETE).

`/sandbox/faults` is fuzzed in a second pass of its own, after the rest: the faults it sets make
the workspace's Unipile fail, and a send then rightly answers 502, which schemathesis counts as
a server error.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import suite
from bench.databases import fresh_database
from bench.flows import api_client, connect_whatsapp, make_contacts
from bench.procs import WEBHOOK_SECRET, Server, running, start_server

SCHEMATHESIS = str(Path(sys.executable).parent / "schemathesis")
EXCLUDED = "positive_data_acceptance,allow_header_conformance"
FAULTS = "/api/v1/sandbox/faults"


async def fuzz(kind: str, work: Path, *, examples: int, v: suite.Verdict) -> None:
    suite.say(f"fuzz on {kind}: {examples} examples per operation")
    async with fresh_database(kind, work / "db") as url:
        server = start_server(work / "server", url, None)
        with running(server.process):
            async with api_client(server.base_url, server.key) as client:
                await connect_whatsapp(client)
                await make_contacts(client, 3)
            for selection in (["--exclude-path", FAULTS], ["--include-path", FAULTS]):
                await _schemathesis(kind, work, server, examples, selection, v)
            problems = suite.server_log_problems(server.process.output())
            v.check(not problems, f"{kind}: no errors in the server log ({len(problems)})")
            for line in problems[:10]:
                suite.say(f"    {line}")
            for line in suite.first_traceback(server.process.output()):
                suite.say(f"    | {line}")


async def _schemathesis(
    kind: str, work: Path, server: Server, examples: int, selection: list[str], v: suite.Verdict
) -> None:
    command = [
        SCHEMATHESIS,
        "run",
        f"{server.base_url}/openapi.json",
        "--header",
        f"Authorization: Bearer {server.key}",
        "--header",
        f"Unipile-Auth: {WEBHOOK_SECRET}",
        "--checks",
        "all",
        "--exclude-checks",
        EXCLUDED,
        "--max-examples",
        str(examples),
        "--seed",
        "1",
        "--workers",
        "1",
        *selection,
    ]
    result = await asyncio.to_thread(
        subprocess.run, command, check=False, timeout=1800, env=server.env, cwd=work
    )
    v.check(
        result.returncode == 0,
        f"{kind} ({' '.join(selection)}): schemathesis exited {result.returncode}",
    )


async def main() -> int:
    examples = 10 if suite.quick() else 100
    v = suite.Verdict("fuzz")
    with tempfile.TemporaryDirectory(prefix="skylight-fuzz-") as tmp:
        for kind in suite.databases():
            await fuzz(kind, Path(tmp) / kind, examples=examples, v=v)
    return v.finish()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
