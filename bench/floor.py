"""The floors: the least a send and an inbound webhook can do on our stack, to measure ours
against in the same run.

FastAPI + uvicorn (same loop and parser) + our engine (kit.db.create_engine: the same pool
and, on SQLite, the same BEGIN IMMEDIATE) and the same httpx client options. Never mounted in
the product; run as ``python -m bench.floor``.

- ``POST /floor/send``: one transaction inserting the message (ORM), one multipart call to the
  same upstream, one transaction recording the outcome (UPDATE). No authentication, no
  lookups (the contact's chat is known from start-up), no conversation, no event.
- ``POST /floor/inbound``: checks the secret header, parses the JSON, one
  ``INSERT ... ON CONFLICT DO NOTHING`` into messages (the chat's contact known from start-up).
"""

from __future__ import annotations

import argparse
import hmac
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

import skylight.models  # noqa: F401 - every table, so the ORM can resolve foreign keys
from skylight.channels.types import ChannelType
from skylight.kit.db import create_engine, create_sessionmaker
from skylight.messages.models import Chat, Message


class FloorIn(BaseModel):
    contact_id: int
    message: str


def create_floor_app(database_url: str, dsn: str, api_key: str, secret: str) -> FastAPI:
    engine = create_engine(database_url)
    sessions = create_sessionmaker(engine)
    # contact id -> (workspace id, chat id); chat id -> (workspace id, contact id)
    routes: dict[int, tuple[int, str]] = {}
    chats: dict[str, tuple[int, int]] = {}
    dialect_insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert

    async def load_chats() -> None:
        async with engine.connect() as conn:
            rows = await conn.execute(
                select(Chat.contact_id, Chat.workspace_id, Chat.unipile_chat_id)
            )
            for contact_id, workspace_id, chat_id in rows:
                routes[contact_id] = (workspace_id, chat_id)
                chats[chat_id] = (workspace_id, contact_id)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await load_chats()
        async with httpx.AsyncClient(
            base_url=dsn + "/api/v1",
            headers={"X-API-KEY": api_key},
            timeout=15,
            limits=httpx.Limits(max_connections=50, max_keepalive_connections=50),  # as ours
        ) as http:
            app.state.http = http
            yield
        await engine.dispose()

    app = FastAPI(lifespan=lifespan, openapi_url=None)

    @app.post("/floor/reload", status_code=204)
    async def reload() -> None:
        """The bench's set-up made new chats after start-up."""
        await load_chats()

    @app.post("/floor/send", status_code=201)
    async def send(body: FloorIn) -> dict[str, Any]:
        if body.contact_id not in routes:
            raise HTTPException(404)
        workspace_id, chat_id = routes[body.contact_id]
        now = datetime.now(UTC)
        message = Message(
            workspace_id=workspace_id,
            contact_id=body.contact_id,
            channel=ChannelType.WHATSAPP,
            direction="outbound",
            content=body.message,
            status="pending",
            occurred_at=now,
            created_at=now,
            updated_at=now,
        )
        async with sessions() as session, session.begin():
            session.add(message)
        http: httpx.AsyncClient = app.state.http
        response = await http.post(
            f"/chats/{chat_id}/messages", files=[("text", (None, body.message))]
        )
        response.raise_for_status()
        unipile_id = response.json()["message_id"]
        async with sessions() as session, session.begin():
            await session.execute(
                update(Message)
                .where(Message.id == message.id)
                .values(status="sent", unipile_message_id=unipile_id, sent_at=datetime.now(UTC))
            )
        return {"id": message.id, "status": "sent", "unipile_message_id": unipile_id}

    @app.post("/floor/inbound")
    async def inbound(request: Request) -> dict[str, Any]:
        if not hmac.compare_digest(request.headers.get("unipile-auth", ""), secret):
            raise HTTPException(401)
        payload = json.loads(await request.body())
        route = chats.get(payload["chat_id"])
        if route is None:
            return {"message": "Ignored."}
        workspace_id, contact_id = route
        at = datetime.fromisoformat(payload["timestamp"])
        now = datetime.now(UTC)
        statement = (
            dialect_insert(Message)
            .values(
                workspace_id=workspace_id,
                contact_id=contact_id,
                channel=ChannelType.WHATSAPP,
                direction="inbound",
                content=payload.get("message") or "",
                status="delivered",
                unipile_message_id=payload["message_id"],
                unipile_chat_id=payload["chat_id"],
                occurred_at=at,
                sent_at=at,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["unipile_message_id"])
        )
        async with engine.begin() as conn:
            await conn.execute(statement)
        return {"message": "Applied."}

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--webhook-secret", required=True)
    args = parser.parse_args()
    app = create_floor_app(args.database_url, args.dsn, args.api_key, args.webhook_secret)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
