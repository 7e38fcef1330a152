"""The enduco exception hierarchy: one class per error code of the SDK (docs/errors.md).

Every exception the SDK raises for an enduco-level failure is an :class:`EnducoError` with a
stable :attr:`EnducoError.code`; catch a subclass to react to one case.  Messages never contain
a token, an authorization code or the client secret.
"""

from __future__ import annotations

import builtins
import errno
import os

# `typing` costs ~10 ms at `import enduco` and is needed by the annotations only, which
# `from __future__ import annotations` leaves unevaluated (issue 15). Type checkers treat any
# name `TYPE_CHECKING` as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import List, Optional

__all__ = [
    "EnducoError",
    "InvalidInputError",
    "WorkoutFileNotFoundError",
    "AuthorizationDeniedError",
    "StateMismatchError",
    "ReauthorizationRequiredError",
    "InsufficientScopeError",
    "RateLimitedError",
    "ServerError",
    "ApiError",
    "NetworkError",
    "EnducoTimeoutError",
    "InvalidResponseError",
    "StoreError",
    "InternalError",
]


class EnducoError(Exception):
    """Base class of every enduco error; :attr:`code` names the case."""

    #: The stable, language-independent name of the case (``"invalid_input"``, ``"store"``, …).
    code: str = "enduco"

    def __init__(self, message: str = "", *, code: Optional[str] = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class InvalidInputError(EnducoError):
    """The app passed something unusable (a corrupt FIT file, a plan window longer than 7 days,
    a malformed URL). Nothing was sent; retrying the same input fails again."""

    code = "invalid_input"


class WorkoutFileNotFoundError(InvalidInputError, FileNotFoundError):
    """The FIT file given by path to ``upload_workout`` does not exist. Both an
    :class:`InvalidInputError` (``code`` is ``"invalid_input"``) and Python's own
    :class:`FileNotFoundError` (``errno`` ``ENOENT``, ``filename``), so either ``except`` catches
    it. Nothing was sent."""

    def __init__(self, filename: str) -> None:
        FileNotFoundError.__init__(self, errno.ENOENT, os.strerror(errno.ENOENT), filename)


class AuthorizationDeniedError(EnducoError):
    """The user cancelled on enduco's consent page, or enduco refused the authorization."""

    code = "authorization_denied"

    def __init__(
        self,
        message: str = "",
        *,
        code: Optional[str] = None,
        oauth_error: str = "access_denied",
        description: Optional[str] = None,
    ) -> None:
        super().__init__(message, code=code)
        #: The OAuth ``error`` parameter (``"access_denied"`` when the user cancelled); the
        #: payload's name, as in the other SDKs (Node ``oauthError``).
        self.oauth_error = oauth_error
        #: The same as :attr:`oauth_error` (the name before the SDKs agreed on one).
        self.error = oauth_error
        #: The OAuth ``error_description``, when enduco sent one.
        self.description = description


class StateMismatchError(EnducoError):
    """The callback does not belong to the pending authorization request (possible CSRF or a
    stale tab). Discard it and start a new authorization request."""

    code = "state_mismatch"


class ReauthorizationRequiredError(EnducoError):
    """The stored grant is gone (never authorized, revoked, expired or rotated away): send the
    user through the authorization flow again."""

    code = "reauthorization_required"

    def __init__(self, message: str = "", *, code: Optional[str] = None, reason: str = "") -> None:
        super().__init__(message, code=code)
        self.reason = reason


class InsufficientScopeError(EnducoError):
    """The user did not grant a scope the call needs; :attr:`missing` lists them."""

    code = "insufficient_scope"

    def __init__(
        self, message: str = "", *, code: Optional[str] = None, missing: Optional[List[str]] = None
    ) -> None:
        super().__init__(message, code=code)
        self.missing: List[str] = list(missing or [])


class RateLimitedError(EnducoError):
    """enduco asked the app to slow down and the retry budget ran out. Try again after
    :attr:`retry_after` seconds (``None`` when enduco did not say)."""

    code = "rate_limited"

    def __init__(
        self, message: str = "", *, code: Optional[str] = None, retry_after: Optional[float] = None
    ) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class ServerError(EnducoError):
    """enduco answered with a 5xx :attr:`status` after the allowed retries. Transient."""

    code = "server"

    def __init__(self, message: str = "", *, code: Optional[str] = None, status: int = 0) -> None:
        super().__init__(message, code=code)
        self.status = status


class ApiError(EnducoError):
    """enduco refused the request with an error of its own: :attr:`api_code` and
    :attr:`message` come from enduco, :attr:`status` is the HTTP status (``None`` for an OAuth
    error delivered through the callback URL)."""

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
        self.status = status
        self.api_code = api_code
        #: enduco's own message (may be empty); ``str(error)`` is the full description. The
        #: core's payload calls it ``api_message``, as the other SDKs do (Node ``apiMessage``).
        self.api_message = api_message
        #: The same as :attr:`api_message` (the name before the SDKs agreed on one).
        self.message = api_message


class NetworkError(EnducoError):
    """The connection failed or broke after the allowed retries. Check connectivity."""

    code = "network"


class EnducoTimeoutError(EnducoError, builtins.TimeoutError):
    """enduco did not answer within the configured timeouts. Also a builtin
    :class:`TimeoutError`; available as ``enduco.TimeoutError`` too."""

    code = "timeout"


class InvalidResponseError(EnducoError):
    """enduco answered with something the SDK cannot read (HTML, malformed JSON, …)."""

    code = "invalid_response"


class StoreError(EnducoError):
    """The token store failed to load, save or clear. An exception raised by a store method is
    kept as ``__cause__``. Tokens that could not be saved stay in memory and are saved again on
    the next call."""

    code = "store"


class InternalError(EnducoError):
    """A bug in the SDK: a panic in its Rust core caught before it could reach Python, or one
    of its background tasks cancelled under a call. Nothing was lost (tokens are saved before
    they are used) and the call may be retried; please report it with the message."""

    code = "internal"


#: The class of each error code, for the binding (which builds errors from the core's payload):
#: the direct subclasses of EnducoError (a narrower class such as WorkoutFileNotFoundError is
#: raised by the binding itself where it knows more).
CLASSES = {
    cls.code: cls
    for cls in map(globals().__getitem__, __all__)
    if EnducoError in cls.__bases__
}

for _cls in list(map(globals().__getitem__, __all__)):
    _cls.__module__ = "enduco"
del _cls
