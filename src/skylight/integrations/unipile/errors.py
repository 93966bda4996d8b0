"""Typed errors of the Unipile client.

Unipile answers failures with a problem-details body ``{status, type, title, detail, instance}``.
The tree splits them the way a caller has to act on them:

- ``UnipileTransientError``: worth trying again later (timeouts, unreachable, 429, 5xx).
- ``UnipilePermanentError``: repeating the same request will fail the same way (other 4xx).
- ``UnipileProtocolError``: Unipile answered 2xx with something we cannot read.

Messages are built only from the method, the path and Unipile's own fields, and pass through
the client's redaction, so neither the API key nor an Instagram password can end up in them.
"""

from __future__ import annotations


class UnipileError(Exception):
    """Base of every error raised by the Unipile client."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        type: str | None = None,  # Unipile's own field name
        title: str | None = None,
        detail: str | None = None,
        instance: str | None = None,
        method: str | None = None,
        path: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.type = type
        self.title = title
        self.detail = detail
        self.instance = instance
        self.method = method
        self.path = path
        self.retry_after = retry_after


class UnipileTransientError(UnipileError):
    """Unipile or the network failed in a way that may pass; safe to retry if idempotent."""


class UnipileTimeout(UnipileTransientError):
    """No answer within the client's timeout. A POST may still have been applied."""


class UnipileUnreachable(UnipileTransientError):
    """The connection failed or dropped before an answer arrived."""


class UnipileRateLimited(UnipileTransientError):
    """429: the provider behind Unipile accepts no more requests for now."""

    # ``retry_after`` (seconds, from the Retry-After header) is set on this class when present.


class UnipileServerError(UnipileTransientError):
    """5xx (and 408): Unipile or the provider failed on its side."""


class UnipilePermanentError(UnipileError):
    """A 4xx other than 408/429: fix the request, do not repeat it."""


class UnipileBadRequest(UnipilePermanentError):
    """400, e.g. ``errors/invalid_parameters`` or ``errors/too_many_characters``."""


class UnipileUnauthorized(UnipilePermanentError):
    """401: a bad API key, bad provider credentials or a failed checkpoint (see ``type``)."""


class UnipileCheckpointError(UnipileUnauthorized):
    """401 ``errors/invalid_checkpoint_solution`` or ``errors/checkpoint_error``."""


class UnipileInvalidCredentials(UnipileUnauthorized):
    """401 ``errors/invalid_credentials``: the provider refused the login (a wrong password)."""


class UnipileApiKeyRejected(UnipileUnauthorized):
    """401 ``errors/missing_credentials``: Unipile refused *our* API key (configuration)."""


class UnipileCaptchaRequired(UnipileUnauthorized):
    """401 ``errors/captcha_not_supported``: the provider wants a captcha solved."""


class UnipileAccountDisconnected(UnipileUnauthorized):
    """401 ``errors/disconnected_account``: the account must be reconnected first."""


class UnipileForbidden(UnipilePermanentError):
    """403."""


class UnipileNotFound(UnipilePermanentError):
    """404: unknown account, chat, message or webhook id."""


class UnipileUnprocessable(UnipilePermanentError):
    """422: the request is well formed but cannot be carried out."""


class UnipileInvalidRecipient(UnipileUnprocessable):
    """422 about the recipient: not on the network, unreachable, blocked, no connection."""


class UnipileAuthenticationInProgress(UnipilePermanentError):
    """425: another authentication of this account is running; wait for it to end."""


class UnipileAuthenticationExpired(UnipilePermanentError):
    """500 ``errors/authentication_intent_error``: the login intent expired or was killed;
    repeating is useless, the authentication has to start again."""


class UnipileProtocolError(UnipileError):
    """Unipile answered with a body that is not the JSON we expect."""


RECIPIENT_ERROR_TYPES = frozenset(
    {
        "errors/invalid_recipient",
        "errors/user_unreachable",
        "errors/no_connection_with_recipient",
        "errors/blocked_recipient",
    }
)


UNAUTHORIZED_TYPES: dict[str, type[UnipileUnauthorized]] = {
    "errors/invalid_checkpoint_solution": UnipileCheckpointError,
    "errors/checkpoint_error": UnipileCheckpointError,
    "errors/disconnected_account": UnipileAccountDisconnected,
    "errors/invalid_credentials": UnipileInvalidCredentials,
    "errors/missing_credentials": UnipileApiKeyRejected,
    "errors/captcha_not_supported": UnipileCaptchaRequired,
}


def error_class_for(status: int, error_type: str | None) -> type[UnipileError]:
    """The exception class for an HTTP error status and Unipile ``type``."""
    if status == 429:
        return UnipileRateLimited
    if status == 500 and error_type == "errors/authentication_intent_error":
        return UnipileAuthenticationExpired
    if status >= 500 or status == 408:
        return UnipileServerError
    if status == 400:
        return UnipileBadRequest
    if status == 401:
        return UNAUTHORIZED_TYPES.get(error_type or "", UnipileUnauthorized)
    if status == 425:
        return UnipileAuthenticationInProgress
    if status == 403:
        return UnipileForbidden
    if status == 404:
        return UnipileNotFound
    if status == 422:
        if error_type in RECIPIENT_ERROR_TYPES:
            return UnipileInvalidRecipient
        return UnipileUnprocessable
    return UnipilePermanentError
