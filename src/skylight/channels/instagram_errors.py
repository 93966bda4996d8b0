"""What Instagram's login answers mean for our caller, by Unipile's error ``type`` and the
checkpoint's kind (the "Corrections" of our Unipile reference, item 9):

- 401 ``errors/invalid_credentials``: a wrong username or password (the user's to fix);
- 401 ``errors/missing_credentials``: Unipile refused *our* API key (the operator's; it reaches
  the caller as the generic 502 of integrations.unipile.handlers);
- 401 ``errors/captcha_not_supported`` and a CAPTCHA checkpoint: not solvable through the API;
- 500 ``errors/authentication_intent_error``: the login intent expired, start again;
- 425: another login of this account is still running.
IN_APP_VALIDATION is approved in the Instagram app, never with a code."""

from __future__ import annotations

from skylight.integrations.unipile.errors import (
    UnipileApiKeyRejected,
    UnipileAuthenticationExpired,
    UnipileAuthenticationInProgress,
    UnipileCaptchaRequired,
    UnipileError,
    UnipileUnauthorized,
)
from skylight.kit.errors import Conflict, SkylightError, Unprocessable, field_error

CODE_SENT = "A verification code has been sent. Submit it to POST /channels/instagram/2fa."
ANOTHER_ROUND = "Additional verification required. Submit your code again."
IN_APP = (
    "Approve this login in the Instagram app on your phone (Instagram sent a notification). "
    "No code is needed: the channel connects once you approve; follow it with "
    "GET /channels/instagram/status."
)
CAPTCHA = (
    "Instagram asks for a captcha, which cannot be solved through the API. Log in to this "
    "account once in the Instagram app or on instagram.com from a trusted device, then "
    "connect again."
)
PHONE = (
    "Instagram asks for a phone number: submit it with its country code (e.g. +966501234567) "
    "as the code to POST /channels/instagram/2fa."
)
# Checkpoints a code cannot solve: why, for a code sent anyway.
NO_CODE = {"IN_APP_VALIDATION": IN_APP, "CAPTCHA": CAPTCHA}


def checkpoint_message(checkpoint_type: str, *, first: bool = True) -> str:
    """What the user does next for this kind of checkpoint."""
    if checkpoint_type in NO_CODE:
        return NO_CODE[checkpoint_type]
    if checkpoint_type == "PHONE_REGISTER":
        return PHONE
    return CODE_SENT if first else ANOTHER_ROUND


def expired() -> Unprocessable:
    return Unprocessable(
        "This verification attempt has expired. Connect again to get a new code.",
        errors=field_error("account_id", "The attempt has expired."),
    )


def login_refused(exc: UnipileError) -> SkylightError | None:
    """Our error for a refused Instagram login or verification; None for one that is not about
    the login (it then reaches the caller as a Unipile failure)."""
    if isinstance(exc, UnipileApiKeyRejected):
        return None  # our configuration, not the user's password
    if isinstance(exc, UnipileCaptchaRequired):
        return Unprocessable(CAPTCHA, errors=field_error("username", "Instagram wants a captcha."))
    if isinstance(exc, UnipileAuthenticationExpired):
        return expired()
    if isinstance(exc, UnipileAuthenticationInProgress):
        return Conflict(
            "A login to this Instagram account is already in progress. Finish it, or wait "
            "about five minutes for it to expire, then try again."
        )
    if isinstance(exc, UnipileUnauthorized):
        return Unprocessable(
            "Instagram did not accept this username and password.",
            errors=field_error("password", "The username or password is incorrect."),
        )
    return None
