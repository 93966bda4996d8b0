"""How long a campaign waits before its next send: pure functions of the clock, so they are
tested with a fixed one.

Sends on one channel are spaced by at least 60/rate seconds plus a random extra (jitter), so the
account never exceeds its rate and does not send like a metronome. Quiet hours and the daily cap
are in the workspace's time zone."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from skylight.channels.types import ChannelType
from skylight.kit.settings import Settings

NO_WAIT = timedelta(0)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def rate_per_minute(settings: Settings, channel: ChannelType) -> float:
    return {
        ChannelType.WHATSAPP: settings.campaign_rate_whatsapp_per_minute,
        ChannelType.TELEGRAM: settings.campaign_rate_telegram_per_minute,
        ChannelType.INSTAGRAM: settings.campaign_rate_instagram_per_minute,
    }[channel]


def gap(rate: float, jitter: float, rng: random.Random | None = None) -> timedelta:
    """The wait after one send before the next: the rate's interval, never less, plus up to
    `jitter` times that interval at random."""
    interval = 60.0 / rate
    draw = (rng or _rng).random()
    return timedelta(seconds=interval * (1.0 + jitter * draw))


def in_quiet_hours(local: time, start: time, end: time) -> bool:
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end  # e.g. 22:00-08:00, across midnight


def quiet_hours_wait(
    now: datetime, tz: ZoneInfo, start: time | None, end: time | None
) -> timedelta:
    """Until the quiet hours end, or nothing when it is not quiet now."""
    if start is None or end is None:
        return NO_WAIT
    local = now.astimezone(tz)
    if not in_quiet_hours(local.time().replace(tzinfo=None), start, end):
        return NO_WAIT
    ends = datetime.combine(local.date(), end, tzinfo=tz)
    if ends <= local:
        ends = datetime.combine(local.date() + timedelta(days=1), end, tzinfo=tz)
    # Subtract in UTC: two datetimes of one zone subtract as wall-clock times (wrong across DST).
    return ends.astimezone(UTC) - now.astimezone(UTC)


def day_start(now: datetime, tz: ZoneInfo) -> datetime:
    """The start of today in the zone, in UTC."""
    local = now.astimezone(tz)
    return datetime.combine(local.date(), time(0), tzinfo=tz).astimezone(UTC)


def daily_cap_wait(now: datetime, tz: ZoneInfo, sent_today: int, cap: int | None) -> timedelta:
    """Until the next local midnight once today's sends reached the cap; else nothing."""
    if cap is None or sent_today < cap:
        return NO_WAIT
    local = now.astimezone(tz)
    tomorrow = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=tz)
    return tomorrow.astimezone(UTC) - now.astimezone(UTC)


def pacer_wait(now: datetime, next_at: datetime | None) -> timedelta:
    if next_at is None or next_at <= now:
        return NO_WAIT
    return next_at - now


_rng = random.SystemRandom()
