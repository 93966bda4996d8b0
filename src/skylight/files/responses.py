"""A file's bytes as an HTTP response, for the API's and the dashboard's download routes."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Response

from skylight.files.serving import Content


def file_response(content: Content) -> Response:
    """The bytes with headers that keep them inert: the sniffed type only, never sniffed again
    by the browser, no script (sandbox), and a download unless it is a plain image or media."""
    disposition = "inline" if content.inline else "attachment"
    headers = {
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(content.filename)}",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, max-age=3600",
    }
    return Response(content.data, media_type=content.content_type, headers=headers)
