# Generated from the core's error cases (enduco::ERROR_CASES, core/src/error.rs) by core/tests/error_classes.rs; do not edit.
# Refresh: ENDUCO_WRITE_ERRORS=1 cargo test -p enduco --test error_classes
"""The exception class of each error code of the SDK (``enduco._errors`` adds the binding's own)."""

from __future__ import annotations

import builtins

# `typing` costs ~10 ms at `import enduco` and is needed by the annotations only, which
# `from __future__ import annotations` leaves unevaluated. Type checkers treat any name
# `TYPE_CHECKING` as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import List, Optional


class EnducoError(Exception):
    """Base class of every enduco error; :attr:`code` names the case. Messages never contain a
    token, an authorization code or the client secret."""

    #: The stable, language-independent name of the case (``"invalid_input"``, ``"store"``, …).
    code: str = "enduco"

    def __init__(self, message: str = "", *, code: Optional[str] = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class InvalidInputError(EnducoError):
    """The app passed something unusable (a corrupt FIT file, a plan window longer than 7 days, a
    malformed URL). Nothing was sent; retrying the same input fails again."""

    code = "invalid_input"


class AuthorizationDeniedError(EnducoError):
    """The user cancelled on enduco's consent page, or enduco refused the authorization request.
    Show that the connection was not made; offer to try again."""

    code = "authorization_denied"

    def __init__(
        self,
        message: str = "",
        *,
        code: Optional[str] = None,
        oauth_error: str = "",
        description: Optional[str] = None,
    ) -> None:
        super().__init__(message, code=code)
        #: The OAuth `error`, e.g. `access_denied` when the user cancelled.
        self.oauth_error = oauth_error
        #: The OAuth `error_description`, when enduco sent one.
        self.description = description
        #: The same as :attr:`oauth_error` (the name before the SDKs agreed on one).
        self.error = oauth_error


class StateMismatchError(EnducoError):
    """The callback does not belong to the pending authorization request (possible CSRF, or a stale
    browser tab). Discard it and start a new authorization request."""

    code = "state_mismatch"


class ReauthorizationRequiredError(EnducoError):
    """The stored grant is gone (never authorized, revoked, expired or rotated away). The store was
    left as it was; send the user through the authorization flow again."""

    code = "reauthorization_required"

    def __init__(
        self,
        message: str = "",
        *,
        code: Optional[str] = None,
        reason: str = "",
    ) -> None:
        super().__init__(message, code=code)
        #: Why the grant is gone.
        self.reason = reason


class InsufficientScopeError(EnducoError):
    """The user did not grant a scope the call needs; nothing was sent. Ask for the missing scopes
    in a new authorization request, or hide the feature."""

    code = "insufficient_scope"

    def __init__(
        self,
        message: str = "",
        *,
        code: Optional[str] = None,
        missing: Optional[List[str]] = None,
    ) -> None:
        super().__init__(message, code=code)
        #: The scopes the call needs and the grant lacks.
        self.missing: List[str] = list(missing or [])


class RateLimitedError(EnducoError):
    """enduco asked the app to slow down and the retries ran out. Try again after `retry_after`
    seconds (null when enduco did not say)."""

    code = "rate_limited"

    def __init__(
        self,
        message: str = "",
        *,
        code: Optional[str] = None,
        retry_after: Optional[float] = None,
    ) -> None:
        super().__init__(message, code=code)
        #: Seconds to wait, when enduco said.
        self.retry_after = retry_after


class ServerError(EnducoError):
    """enduco answered with a 5xx status after the retries. Transient: try again later."""

    code = "server"

    def __init__(
        self,
        message: str = "",
        *,
        code: Optional[str] = None,
        status: int = 0,
    ) -> None:
        super().__init__(message, code=code)
        #: The HTTP status.
        self.status = status


class ApiError(EnducoError):
    """enduco refused the request with an error of its own (`api_code`, e.g. `invalid_grant` for a
    reused code). Usually a bug in the request or the app's configuration."""

    code = "api"

    def __init__(
        self,
        message: str = "",
        *,
        code: Optional[str] = None,
        status: Optional[int] = None,
        api_code: str = "",
        api_message: str = "",
    ) -> None:
        super().__init__(message, code=code)
        #: The HTTP status; null for an OAuth error in the callback URL.
        self.status = status
        #: enduco's error code.
        self.api_code = api_code
        #: enduco's own message (may be empty).
        self.api_message = api_message
        #: The same as :attr:`api_message` (the name before the SDKs agreed on one).
        self.message = api_message


class NetworkError(EnducoError):
    """The connection failed or broke after the retries. Check connectivity and try again."""

    code = "network"


class EnducoTimeoutError(EnducoError, builtins.TimeoutError):
    """enduco did not answer within the configured timeouts. Try again later."""

    code = "timeout"


class InvalidResponseError(EnducoError):
    """enduco answered with something the SDK cannot read (HTML, malformed JSON). Often a proxy or
    captive portal; report it if it persists."""

    code = "invalid_response"


class StoreError(EnducoError):
    """The app's token store failed to load, save or clear; its own error is the cause. Tokens that
    could not be saved stay in memory and are saved on the next call."""

    code = "store"


class InternalError(EnducoError):
    """A bug in the SDK (a panic caught before it reached the app, or the SDK's runtime stopping
    under a call). Nothing was lost: tokens are saved before use. Report it with the message;
    the call may be retried."""

    code = "internal"


#: The class of each error code.
CLASSES = {
    "invalid_input": InvalidInputError,
    "authorization_denied": AuthorizationDeniedError,
    "state_mismatch": StateMismatchError,
    "reauthorization_required": ReauthorizationRequiredError,
    "insufficient_scope": InsufficientScopeError,
    "rate_limited": RateLimitedError,
    "server": ServerError,
    "api": ApiError,
    "network": NetworkError,
    "timeout": EnducoTimeoutError,
    "invalid_response": InvalidResponseError,
    "store": StoreError,
    "internal": InternalError,
}

__all__ = ["EnducoError", "InvalidInputError", "AuthorizationDeniedError", "StateMismatchError", "ReauthorizationRequiredError", "InsufficientScopeError", "RateLimitedError", "ServerError", "ApiError", "NetworkError", "EnducoTimeoutError", "InvalidResponseError", "StoreError", "InternalError"]
