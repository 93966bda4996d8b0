"""The error answers every /api/v1 operation can give, declared once so the OpenAPI document
lists them (all in the envelope, see kit.handlers). Routes add their own (409, 502, ...)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from skylight.kit.envelope import ErrorResponse


def error(description: str) -> dict[str, Any]:
    return {"model": ErrorResponse, "description": description}


API_ERRORS: dict[int | str, dict[str, Any]] = {
    400: error("Malformed JSON body"),
    401: error("Missing, unknown or revoked API key"),
    404: error("No such resource in this workspace, or no such route"),
    422: error("Invalid input, with a message per field"),
    429: error("Too many requests: retry after Retry-After seconds"),
}

CONFLICT: dict[int | str, dict[str, Any]] = {409: error("Conflicts with existing data")}


def operation_id(route: APIRoute) -> str:
    """Short, stable operation ids for generated clients: `<tag>_<action>` (contacts_create,
    messages_send), the endpoint function's name without its tag's noun. Renaming an endpoint
    function renames its operation: tests/kit/test_openapi.py lists them all."""
    tag = str(route.tags[0]).replace(" ", "_") if route.tags else "api"
    nouns = {tag, tag.removesuffix("s")}
    words = [word for word in route.name.split("_") if word not in nouns]
    return "_".join([tag, *words]) if words else tag


def readable_schema_names(document: dict[str, Any]) -> dict[str, Any]:
    """Name each component schema by its model's own name (its title), as generic envelopes
    choose it (kit.envelope), instead of pydantic's DataResponse_ContactOut_; refs follow."""
    schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
    titles = [schema.get("title") for schema in schemas.values()]
    renames = {
        key: schema["title"]
        for key, schema in schemas.items()
        if schema.get("title") not in (None, key)
        and titles.count(schema["title"]) == 1
        and schema["title"] not in schemas
    }
    if not renames:
        return document
    document["components"]["schemas"] = {renames.get(k, k): v for k, v in schemas.items()}
    text = json.dumps(document)
    for old, new in renames.items():
        text = text.replace(f'"#/components/schemas/{old}"', f'"#/components/schemas/{new}"')
    renamed: dict[str, Any] = json.loads(text)
    return renamed


def install_openapi(app: FastAPI) -> None:
    """The document FastAPI builds, with readable schema names, built once."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = readable_schema_names(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
