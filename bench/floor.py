"""The floor: the least a send endpoint can do on our stack, to measure ours against.

FastAPI + uvicorn (same loop and parser) + our engine (kit.db.create_engine: the same pool and,
on SQLite, the same BEGIN IMMEDIATE), one INSERT into messages, then the same multipart call to
the simulator over one shared httpx client. No auth, no contact or channel lookup, no
conversation upsert, no outcome recorded. Run as `python -m bench.floor`; never mounted in the
product."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel
from sqlalchemy import insert, select

from skylight.channels.types import ChannelType
from skylight.kit.db import create_engine
from skylight.messages.models import Chat, Message


class FloorIn(BaseModel):
    contact_id: int
    message: str


def create_floor_app(database_url: str, dsn: str, api_key: str) -> FastAPI:
    engine = create_engine(database_url)
    routes: dict[int, tuple[int, str]] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with engine.connect() as conn:
            rows = await conn.execute(
                select(Chat.contact_id, Chat.workspace_id, Chat.unipile_chat_id)
            )
            routes.update({row[0]: (row[1], row[2]) for row in rows})
        async with httpx.AsyncClient(
            base_url=dsn + "/api/v1", headers={"X-API-KEY": api_key}, timeout=15
        ) as http:
            app.state.http = http
            yield
        await engine.dispose()

    app = FastAPI(lifespan=lifespan, openapi_url=None)

    @app.post("/floor/send", status_code=201)
    async def send(body: FloorIn) -> dict[str, Any]:
        if body.contact_id not in routes:
            raise HTTPException(404)
        workspace_id, chat_id = routes[body.contact_id]
        now = datetime.now(UTC)
        async with engine.begin() as conn:
            message_id = await conn.scalar(
                insert(Message)
                .values(
                    workspace_id=workspace_id,
                    contact_id=body.contact_id,
                    channel=ChannelType.WHATSAPP,
                    direction="outbound",
                    content=body.message,
                    status="sent",
                    occurred_at=now,
                    created_at=now,
                    updated_at=now,
                )
                .returning(Message.id)
            )
        http: httpx.AsyncClient = app.state.http
        response = await http.post(
            f"/chats/{chat_id}/messages", files=[("text", (None, body.message))]
        )
        response.raise_for_status()
        return {"id": message_id, "unipile_message_id": response.json()["message_id"]}

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--api-key", required=True)
    args = parser.parse_args()
    app = create_floor_app(args.database_url, args.dsn, args.api_key)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
