"""Inbound: Unipile `message_received` webhooks ingested per second by one server process.

Every event is new (its own message id) and comes from one of SENDERS people, each in a chat
of their own; the first event of each person creates the contact, the chat and the
conversation. Afterwards the messages are counted through the API: none lost, none doubled."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import loadgen
from bench.databases import fresh_database
from bench.flows import all_pages, api_client, connect_whatsapp
from bench.procs import WEBHOOK_SECRET, running, start_server, start_simulator

SENDERS = 200
BASE = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class InboundResult:
    database: str
    stats: loadgen.Stats
    stored: int


def webhook_payload(account_id: str, i: int, *, run: str = "bench") -> dict[str, Any]:
    person = i % SENDERS
    provider_id = f"9665{person:08d}@s.whatsapp.net"
    sender = {
        "attendee_id": f"{run}-att-{person}",
        "attendee_name": f"Sender {person}",
        "attendee_provider_id": provider_id,
    }
    return {
        "account_id": account_id,
        "account_type": "WHATSAPP",
        "event": "message_received",
        "chat_id": f"{run}-chat-{person}",
        "timestamp": (BASE + timedelta(milliseconds=i)).isoformat().replace("+00:00", "Z"),
        "webhook_name": "skylight-messaging",
        "message_id": f"{run}-msg-{i}",
        "message": f"Inbound message {i}",
        "sender": sender,
        "attendees": [sender],
        "attachments": [],
    }


def webhook_request(account_id: str, i: int, run: str = "bench") -> loadgen.Request:
    return loadgen.Request(
        "POST",
        "/webhooks/unipile",
        webhook_payload(account_id, i, run=run),
        (("Unipile-Auth", WEBHOOK_SECRET),),
    )


async def inbound(kind: str, work: Path, *, events: int, concurrency: int) -> InboundResult:
    async with fresh_database(kind, work / "db") as url:
        simulator = start_simulator(work / "simulator", echo=False)
        with running(simulator.process):
            server = start_server(work / "server", url, simulator)
            with running(server.process):
                async with api_client(server.base_url, server.key) as client:
                    account_id = await connect_whatsapp(client)
                    # Warm-up: one message from each sender (contacts, chats, conversations).
                    await loadgen.run(
                        server.base_url,
                        lambda i: webhook_request(account_id, i, "warm"),
                        concurrency=concurrency,
                        total=SENDERS,
                    )
                    stats = await loadgen.run(
                        server.base_url,
                        lambda i: webhook_request(account_id, i),
                        concurrency=concurrency,
                        total=events,
                    )
                    rows = await all_pages(client, "/api/v1/conversations")
                    stored = 0
                    for contact in {row["contact_id"] for row in rows}:
                        history = await client.get(f"/api/v1/contacts/{contact}/messages")
                        stored += history.json()["meta"]["total"]
    return InboundResult(kind, stats, stored - SENDERS)
