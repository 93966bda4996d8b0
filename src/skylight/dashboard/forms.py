"""Form input through the API's own schemas, so a page accepts exactly what the API accepts."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from skylight.integrations.unipile.errors import UnipileError, UnipileTransientError
from skylight.kit.errors import SkylightError, Unprocessable

M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], data: dict[str, Any]) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors: dict[str, list[str]] = {}
        for problem in exc.errors():
            field = ".".join(str(part) for part in problem.get("loc", ())) or "form"
            errors.setdefault(field, []).append(str(problem.get("msg", "Invalid value.")))
        raise Unprocessable("Check the form.", errors=errors) from None


def explain(exc: SkylightError) -> str:
    """One sentence for a person: the message, and what each field needs."""
    details = [
        f"{field.replace('_', ' ')}: {'; '.join(messages)}"
        for field, messages in (exc.errors or {}).items()
    ]
    text = exc.message
    if details and text in {"Check the form.", "The given data was invalid."}:
        return " ".join(f"{d[0].upper()}{d[1:]}." for d in details)
    return text


def problem(exc: SkylightError | UnipileError) -> str:
    """What to tell the person when a service refused or Unipile failed."""
    if isinstance(exc, SkylightError):
        return explain(exc)
    if isinstance(exc, UnipileTransientError):
        return "Unipile could not be reached in time. Try again shortly."
    return f"Unipile failed: {exc.detail or exc.title or exc.type or 'no details'}"


class PageNotFound(Exception):
    """A page or item that does not exist in the signed-in workspace: a 404 page."""

    def __init__(self, message: str = "This page does not exist.") -> None:
        super().__init__(message)
        self.message = message
