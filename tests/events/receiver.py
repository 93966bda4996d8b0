"""A webhook receiver for tests: a real HTTP server on loopback that can be told to fail."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route


@dataclass
class Receiver:
    fail_rate: float = 0.0
    redirect: bool = False
    seed: int = 7
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    # Processing by event id, as a careful receiver does: each id handled once.
    processed: list[str] = field(default_factory=list)
    failures: int = 0
    fail_half: bool = False
    _attempts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        self.requests.append((dict(request.headers), body))
        if self.redirect:
            return RedirectResponse("http://127.0.0.1:1/elsewhere", status_code=302)
        event: dict[str, Any] = json.loads(body)
        if event["id"] not in self.processed:
            self.processed.append(event["id"])
        # fail_half: the first attempt of every event fails AFTER processing (exactly half of
        # all attempts), so its retry must be deduplicated by id. Deterministic: a random 50%
        # could fail one delivery on every retry and rightly disable the endpoint.
        self._attempts[event["id"]] = self._attempts.get(event["id"], 0) + 1
        failing = self.fail_half and self._attempts[event["id"]] % 2 == 1
        if failing or self._random.random() < self.fail_rate:
            self.failures += 1
            return PlainTextResponse("temporarily broken", status_code=500)
        return PlainTextResponse("ok")

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/hook", self.handle, methods=["POST"])])
