"""The QR code as an SVG image, rendered server-side so a client needs no QR library."""

from __future__ import annotations

import io

import segno

from skylight.channels.models import AttemptState
from skylight.channels.repository import ChannelRepository
from skylight.channels.types import ChannelType
from skylight.kit.db import Database
from skylight.kit.errors import NotFound, Unprocessable
from skylight.kit.time import utcnow


def render_svg(data: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(data, error="m").save(buffer, kind="svg", scale=6, border=2, xmldecl=True)
    return buffer.getvalue()


async def qr_svg(
    db: Database, workspace_id: int, channel_type: ChannelType, account_id: str
) -> bytes:
    async with db.transaction() as session:
        attempt = await ChannelRepository(session, workspace_id).attempt(channel_type, account_id)
        if attempt is None or attempt.qr_code is None:
            raise NotFound(f"No {channel_type.label} QR code with this account_id.")
        if attempt.state != AttemptState.PENDING or attempt.expires_at <= utcnow():
            raise Unprocessable("This QR code is no longer valid. Connect again for a new one.")
        qr_code = attempt.qr_code
    return render_svg(qr_code)
