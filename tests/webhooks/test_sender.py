"""One delivery attempt, bounded: a deadline for all of it, a cap on the answer, and the
connection made to the address that was checked."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator

import httpx
import pytest

from skylight.webhooks.sender import RESPONSE_LIMIT, WebhookSender
from skylight.webhooks.urls import IPAddress
from tests.sandbox_flows import eventually
from tests.webhooks.receivers import RawReceiver, huge, ok, trickle

LOOPBACK = ipaddress.IPv4Address("127.0.0.1")
# Stands for "the private network" in these tests: another loopback address.
INSIDE = ipaddress.IPv4Address("127.0.0.2")


def only_loopback_one(ip: IPAddress) -> bool:
    """The tests' "public internet" is 127.0.0.1; anything else is inside."""
    return ip == LOOPBACK


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(trust_env=False, follow_redirects=False) as client:
        yield client


class Names:
    """A resolver whose answers the test writes, recording every question."""

    def __init__(self, *answers: list[IPAddress]) -> None:
        self.answers = list(answers)
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[IPAddress]:
        self.asked.append(host)
        return self.answers[min(len(self.asked), len(self.answers)) - 1]


async def test_a_huge_answer_is_read_only_up_to_the_cap(http: httpx.AsyncClient) -> None:
    receiver = RawReceiver(huge(64))
    sender = WebhookSender(http, deadline_seconds=10, allowed=only_loopback_one)
    async with receiver.serving() as port:
        outcome = await sender.post(f"http://127.0.0.1:{port}/hook", b"{}", {})

        async def hung_up() -> int:
            return receiver.hung_up

        # We hung up: the rest of the 64 MB was never read.
        assert await eventually(hung_up, lambda n: n == 1) == 1
    assert outcome.ok, outcome
    assert outcome.response_body == "x" * RESPONSE_LIMIT


async def test_a_trickling_answer_ends_at_the_deadline(http: httpx.AsyncClient) -> None:
    receiver = RawReceiver(trickle(0.05))
    sender = WebhookSender(http, deadline_seconds=0.4, allowed=only_loopback_one)
    async with receiver.serving() as port:
        outcome = await sender.post(f"http://127.0.0.1:{port}/hook", b"{}", {})
    assert not outcome.ok
    assert outcome.error == "No complete answer within 0.4 s."
    assert outcome.status_code == 200
    assert outcome.response_body
    assert set(outcome.response_body) == {"x"}


async def test_the_connection_goes_to_the_checked_address_with_the_original_host(
    http: httpx.AsyncClient,
) -> None:
    names = Names([LOOPBACK], [INSIDE])  # a rebinding name: public first, then inside
    sender = WebhookSender(http, deadline_seconds=5, allowed=only_loopback_one, resolver=names)
    public, inside = RawReceiver(ok()), RawReceiver(ok())
    async with public.serving("127.0.0.1") as port, inside.serving("127.0.0.2", port):
        outcome = await sender.post(f"http://rebind.example:{port}/hook", b"{}", {})
    assert outcome.ok, outcome
    assert names.asked == ["rebind.example"]  # resolved once
    assert [r["host"] for r in public.requests] == [f"rebind.example:{port}"]
    assert inside.requests == []


async def test_a_name_with_any_address_inside_is_refused(http: httpx.AsyncClient) -> None:
    names = Names([LOOPBACK, INSIDE])
    sender = WebhookSender(http, deadline_seconds=5, allowed=only_loopback_one, resolver=names)
    receiver = RawReceiver(ok())
    async with receiver.serving() as port:
        outcome = await sender.post(f"http://mixed.example:{port}/hook", b"{}", {})
    assert outcome.error == "Refused: the URL resolves to a private or non-public address."
    assert receiver.requests == []


async def test_an_internationalised_name_is_resolved_and_sent_as_one_name(
    http: httpx.AsyncClient,
) -> None:
    names = Names([LOOPBACK])
    sender = WebhookSender(http, deadline_seconds=5, allowed=only_loopback_one, resolver=names)
    receiver = RawReceiver(ok())
    async with receiver.serving() as port:
        outcome = await sender.post(f"http://straße.example:{port}/hook", b"{}", {})
    assert outcome.ok, outcome
    # Not "strasse.example" (IDNA 2003) for the check and another name for the connection.
    assert names.asked == ["xn--strae-oqa.example"]
    assert receiver.requests[0]["host"] == f"xn--strae-oqa.example:{port}"


async def test_an_address_literal_outside_the_allowed_ones_is_refused(
    http: httpx.AsyncClient,
) -> None:
    sender = WebhookSender(http, deadline_seconds=5, allowed=only_loopback_one)
    receiver = RawReceiver(ok())
    async with receiver.serving("127.0.0.2") as port:
        outcome = await sender.post(f"http://127.0.0.2:{port}/hook", b"{}", {})
    assert outcome.error
    assert outcome.error.startswith("Refused")
    assert receiver.requests == []
