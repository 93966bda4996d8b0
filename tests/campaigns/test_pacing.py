"""Pacing as pure functions of a fixed clock: the rate's interval, jitter, quiet hours and the
daily cap in the workspace's time zone (DST included)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from skylight.campaigns import pacing
from skylight.channels.types import ChannelType
from skylight.kit.settings import Settings

RIYADH = ZoneInfo("Asia/Riyadh")  # +03:00, no DST
BERLIN = ZoneInfo("Europe/Berlin")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_conservative_defaults_per_channel_type() -> None:
    settings = Settings()
    assert pacing.rate_per_minute(settings, ChannelType.WHATSAPP) == 6
    assert pacing.rate_per_minute(settings, ChannelType.TELEGRAM) == 20
    assert pacing.rate_per_minute(settings, ChannelType.INSTAGRAM) == 4


def test_gap_is_never_below_the_rate_and_jitter_adds_at_most_its_share() -> None:
    rng = random.Random(7)
    gaps = [pacing.gap(6, 0.5, rng).total_seconds() for _ in range(1000)]
    assert min(gaps) >= 10.0
    assert max(gaps) <= 15.0
    # Jitter really varies the spacing (no metronome).
    assert max(gaps) - min(gaps) > 4.0
    assert pacing.gap(6, 0.0, rng) == timedelta(seconds=10)
    assert pacing.gap(1200, 0.0, rng) == timedelta(seconds=0.05)


def test_quiet_hours_across_midnight_wait_until_they_end() -> None:
    quiet = (time(22, 0), time(8, 0))
    # 23:30 in Riyadh: quiet until 08:00 the next morning.
    assert pacing.quiet_hours_wait(at("2026-03-10T23:30:00+03:00"), RIYADH, *quiet) == timedelta(
        hours=8, minutes=30
    )
    # 07:59 is still quiet; 08:00 and 21:59 are not.
    assert pacing.quiet_hours_wait(at("2026-03-11T07:59:00+03:00"), RIYADH, *quiet) == timedelta(
        minutes=1
    )
    assert pacing.quiet_hours_wait(at("2026-03-11T08:00:00+03:00"), RIYADH, *quiet) == timedelta(0)
    assert pacing.quiet_hours_wait(at("2026-03-11T21:59:00+03:00"), RIYADH, *quiet) == timedelta(0)
    # The same instant is 20:30 UTC: the workspace's zone decides, not UTC.
    assert pacing.quiet_hours_wait(at("2026-03-10T20:30:00+00:00"), RIYADH, *quiet) > timedelta(0)
    assert pacing.quiet_hours_wait(
        at("2026-03-10T20:30:00+00:00"), ZoneInfo("UTC"), *quiet
    ) == timedelta(0)


def test_quiet_hours_within_a_day_and_none() -> None:
    lunch = (time(12, 0), time(13, 30))
    assert pacing.quiet_hours_wait(at("2026-03-11T12:10:00+03:00"), RIYADH, *lunch) == timedelta(
        minutes=80
    )
    assert pacing.quiet_hours_wait(at("2026-03-11T13:30:00+03:00"), RIYADH, *lunch) == timedelta(0)
    assert pacing.quiet_hours_wait(
        at("2026-03-11T12:10:00+03:00"), RIYADH, None, None
    ) == timedelta(0)


def test_quiet_hours_over_a_dst_change_count_real_time() -> None:
    # Berlin moves from +01:00 to +02:00 at 02:00 on 2026-03-29: 22:00 -> 08:00 is 9 real hours.
    start = at("2026-03-28T22:00:00+01:00")
    wait = pacing.quiet_hours_wait(start, BERLIN, time(22, 0), time(8, 0))
    assert wait == timedelta(hours=9)
    assert (start + wait).astimezone(BERLIN).time() == time(8, 0)


def test_daily_cap_waits_for_the_next_local_midnight() -> None:
    now = at("2026-03-11T18:00:00+03:00")
    assert pacing.daily_cap_wait(now, RIYADH, 99, 100) == timedelta(0)
    assert pacing.daily_cap_wait(now, RIYADH, 100, 100) == timedelta(hours=6)
    assert pacing.daily_cap_wait(now, RIYADH, 10**6, None) == timedelta(0)
    # The day is the workspace's: at 23:30 UTC it is already tomorrow in Riyadh.
    late = at("2026-03-11T23:30:00+00:00")
    assert pacing.day_start(late, RIYADH) == at("2026-03-12T00:00:00+03:00")
    assert pacing.daily_cap_wait(late, RIYADH, 5, 5) == timedelta(hours=21, minutes=30)


def test_pacer_wait_and_unknown_zones() -> None:
    now = at("2026-03-11T10:00:00+00:00")
    assert pacing.pacer_wait(now, None) == timedelta(0)
    assert pacing.pacer_wait(now, now - timedelta(seconds=1)) == timedelta(0)
    assert pacing.pacer_wait(now, now + timedelta(seconds=3)) == timedelta(seconds=3)
    assert pacing.zone("Not/AZone") == ZoneInfo("UTC")
