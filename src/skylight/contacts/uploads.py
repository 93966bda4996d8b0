"""What an import's upload must be before it is accepted: UTF-8 CSV with a header (or a JSON
array of objects), no NUL, at most the configured number of rows. Problems with the file as a
whole are a 422 now; problems with single rows are reported by the import, row by row."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from skylight.contacts import rows
from skylight.kit.errors import Unprocessable

# Fields of the Contact object that may come along in JSON (e.g. a GET /contacts page posted
# back) and are ignored; any other unknown key is a typo worth refusing.
IGNORED_KEYS = {"id", "opted_out_at", "opt_changed_at", "created_at", "updated_at"}
MAX_REPORTED = 20


@dataclass(frozen=True)
class Source:
    data: bytes  # UTF-8 CSV, as uploaded (or made from the JSON array)
    format: str
    delimiter: str
    total: int


def _refuse(message: str, problem: str) -> Unprocessable:
    return Unprocessable(message, errors={"file": [problem]})


def _not_utf8() -> Unprocessable:
    return _refuse(
        "The file is not UTF-8 text.", "Save the file as 'CSV UTF-8' and upload it again."
    )


def _first_line(data: bytes) -> str:
    if b"\x00" in data:  # PostgreSQL could store it, but no CSV means it
        raise _refuse("The file contains NUL characters.", "Remove the NUL characters.")
    try:
        return rows.text_of(data).readline()
    except UnicodeDecodeError:
        raise _not_utf8() from None


def _count(data: bytes, fmt: str, delimiter: str, max_rows: int) -> int:
    """The rows, read once through: also proves the whole file is UTF-8 CSV without NUL."""
    total = 0
    try:
        for _ in rows.records(data, fmt, delimiter):
            total += 1
            if total > max_rows:
                raise _refuse(
                    f"An import takes at most {max_rows:,} rows.",
                    f"More than {max_rows:,} rows: split the file.",
                )
    except UnicodeDecodeError:
        raise _not_utf8() from None
    except csv.Error as exc:
        raise _refuse("The file is not valid CSV.", str(exc)) from None
    return total


def from_csv(data: bytes, max_rows: int) -> Source:
    first = _first_line(data)
    if not first.strip():
        raise _refuse("The file is empty.", "The file has no header line.")
    delimiter = rows.sniff_delimiter(first)
    header = next(csv.reader([first], delimiter=delimiter), [])
    rows.check_header(rows.header_columns(header))
    return Source(data, "csv", delimiter, _count(data, "csv", delimiter, max_rows))


def _json_problems(items: list[Any]) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    for position, item in enumerate(items):
        if len(problems) >= MAX_REPORTED:
            break
        if not isinstance(item, dict):
            problems[f"[{position}]"] = ["Each item must be an object."]
            continue
        for key, value in item.items():
            if key in IGNORED_KEYS:
                continue
            if key not in rows.COLUMNS:
                problems[f"[{position}].{key}"] = ["Extra inputs are not permitted."]
            elif value is not None and not isinstance(value, str):
                problems[f"[{position}].{key}"] = ["Must be a string or null."]
            elif value is not None and "\x00" in value:
                problems[f"[{position}].{key}"] = ["Must not contain NUL characters."]
    return problems


def from_json(body: bytes, max_rows: int) -> Source:
    """The array as UTF-8 CSV (one stored form for both), its rows numbered by position."""
    try:
        items = json.loads(body)
    except (ValueError, RecursionError):
        raise Unprocessable(
            "The body is not valid JSON.", errors={"body": ["Send a JSON array of contacts."]}
        ) from None
    if not isinstance(items, list):
        raise Unprocessable(
            "Send a JSON array of contacts.", errors={"body": ["Must be an array of objects."]}
        )
    if len(items) > max_rows:
        raise Unprocessable(
            f"An import takes at most {max_rows:,} rows.",
            errors={"body": [f"More than {max_rows:,} items: split the array."]},
        )
    problems = _json_problems(items)
    if problems:
        raise Unprocessable("The given data was invalid.", errors=problems)
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(rows.COLUMNS)
    for item in items:
        writer.writerow([item.get(column) or "" for column in rows.COLUMNS])
    data = out.getvalue().encode()
    return Source(data, "json", ",", _count(data, "json", ",", max_rows))
