"""The rows of a bulk import: read from its stored text, then checked and normalised one at a
time. No database here, so a job can read them again after a restart and tests check them alone.

Whatever is uploaded (CSV, or a JSON array) is stored as UTF-8 CSV; a row's `line` is its line in
the CSV file (the header is line 1), or for a JSON array its position in the array (from 1)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from skylight.channels.types import ChannelType
from skylight.contacts.schemas import normalize_phone, normalize_username
from skylight.contacts.service import derive_handle
from skylight.kit.errors import Unprocessable

COLUMNS = ("name", "channel", "phone", "username")
DELIMITERS = (",", ";", "\t")
# Spreadsheets run a cell that starts with one of these as a formula; exports put a ' before
# such a name (see contacts.exports) and imports take it off again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHANNELS = {c.value: c for c in ChannelType}


@dataclass(frozen=True)
class Row:
    line: int
    name: str
    channel: str
    phone: str
    username: str


@dataclass(frozen=True)
class Valid:
    line: int
    channel: ChannelType
    handle: str
    name: str | None
    phone: str | None
    username: str | None

    @property
    def key(self) -> str:
        return f"{self.channel.value}:{self.handle}"

    @property
    def handle_field(self) -> str:
        return "phone" if self.handle == self.phone else "username"


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    reason: str


def sniff_delimiter(first_line: str) -> str:
    """Spreadsheets in many locales save CSV with ';' (or tabs): whichever the header uses most."""
    found = [d for d in DELIMITERS if d in first_line]
    return max(found, key=first_line.count) if found else ","


def text_of(data: bytes) -> io.TextIOWrapper:
    """The stored rows read as text a little at a time (never the whole file as one str: with
    one Arabic letter in it, a str takes two bytes a character)."""
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")


def header_columns(header: list[str]) -> dict[str, int]:
    """Our columns by their index; names compared case-insensitively, other columns ignored."""
    found: dict[str, int] = {}
    for index, title in enumerate(header):
        name = title.strip().lstrip("\ufeff").lower()
        if name in COLUMNS and name not in found:
            found[name] = index
    return found


def check_header(columns: dict[str, int]) -> None:
    if "channel" not in columns or not ({"phone", "username"} & columns.keys()):
        raise Unprocessable(
            "The first line must name the columns: channel, and phone or username (name too).",
            errors={"file": ["The header needs a channel column and a phone or username column."]},
        )


def records(data: bytes, fmt: str, delimiter: str) -> Iterator[Row]:
    """Every row that is not blank, in order."""
    reader = csv.reader(text_of(data), delimiter=delimiter)
    columns = header_columns(next(reader, []))
    start = reader.line_num + 1
    for position, fields in enumerate(reader, 1):
        line = start if fmt == "csv" else position
        start = reader.line_num + 1
        if not any(field.strip() for field in fields):
            continue

        def cell(name: str, fields: list[str] = fields) -> str:
            index = columns.get(name)
            return fields[index] if index is not None and index < len(fields) else ""

        yield Row(line, cell("name"), cell("channel"), cell("phone"), cell("username"))


def check(row: Row) -> Valid | RowError:
    """The row as a contact's fields, or why it cannot be one."""
    channel_name = row.channel.strip().lower()
    channel = CHANNELS.get(channel_name)
    if channel is None:
        reason = (
            f"Unknown channel {_shown(row.channel)}: use whatsapp, telegram or instagram."
            if channel_name
            else "Missing channel: use whatsapp, telegram or instagram."
        )
        return RowError(row.line, "channel", reason)
    name = row.name.strip()
    if name[:1] == "'" and name[1:2] in FORMULA_STARTS:
        name = name[1:]
    if len(name) > 255:
        return RowError(row.line, "name", "The name is longer than 255 characters.")
    phone = username = None
    try:
        phone = normalize_phone(row.phone) if row.phone.strip() else None
    except ValueError as exc:
        return RowError(row.line, "phone", f"Invalid phone {_shown(row.phone)}: {exc}.")
    try:
        username = normalize_username(row.username) if row.username.strip() else None
    except ValueError as exc:
        return RowError(row.line, "username", f"Invalid username {_shown(row.username)}: {exc}.")
    try:
        handle = derive_handle(channel, phone, username)
    except Unprocessable as exc:
        field = next(iter(exc.errors or {"phone": []}))
        return RowError(row.line, field, exc.message)
    return Valid(row.line, channel, handle, name or None, phone, username)


def _shown(value: str) -> str:
    value = value.strip()
    return repr(value if len(value) <= 40 else value[:40] + "…")


class FirstSeen:
    """Which line each contact first appeared on: a later row for the same one is skipped."""

    def __init__(self) -> None:
        self._lines: dict[str, int] = {}

    def check(self, valid: Valid) -> RowError | None:
        first = self._lines.setdefault(valid.key, valid.line)
        if first == valid.line:
            return None
        reason = f"Duplicate of line {first}: the same {valid.channel.value} {valid.handle_field}."
        return RowError(valid.line, valid.handle_field, reason)


def checked(row: Row, seen: FirstSeen) -> Valid | RowError:
    result = check(row)
    if isinstance(result, RowError):
        return result
    return seen.check(result) or result
