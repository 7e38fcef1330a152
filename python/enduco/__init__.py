"""enduco: the client for enduco's OAuth 2.0 API.

Authorize a user, keep their tokens fresh and persisted through your own storage, upload
finished workouts as FIT files, read the training plan up to 7 days ahead and the athlete's
intensity zones::

    import enduco

    client = enduco.EnducoClient(client_id="…", client_secret="…",
                                 redirect_uri="https://app.example/callback", environment="beta")
    req = client.authorization_request(["user_read", "plans_read", "workouts_write"])
    # send the user to req.url; enduco redirects back to the redirect URI
    tokens = client.complete_authorization(req, callback_url)
    session = client.connect(enduco.FileTokenStore("tokens.json"), tokens)
    zones = session.intensity_zones()

An app distributed to users (desktop, CLI) leaves the secret out and names the partner's token
relay instead: ``EnducoClient(client_id, redirect_uri=…, token_relay_url="https://…/relay")``;
the backend mounts :class:`TokenRelay` (``enduco.relay``; docs/relay.md).

``AsyncEnducoClient`` offers the same with coroutines. Every failure is an
:class:`EnducoError` subclass with a stable ``code``. Log records go to the ``enduco`` logger.
"""

from ._enduco import (
    AsyncEnducoClient,
    AsyncSession,
    AuthorizationRequest,
    EnducoClient,
    FileTokenStore,
    MemoryTokenStore,
    PostgresTokenStore,
    PostgresTokenStores,
    RawResponse,
    RedisTokenStore,
    RedisTokenStores,
    Session,
    TokenSet,
    WebhookEvent,
    __version__,
    check_fit,
    parse_webhook,
)
from ._models import (
    IntensityZones,
    PlannedWorkout,
    Repeat,
    ResolvedTarget,
    SportZones,
    Step,
    StepTarget,
    TimelineSegment,
    UploadResult,
    Zone,
)
from ._error_classes import *  # noqa: F403 (one class per error code, generated)
from ._error_classes import EnducoTimeoutError
from ._errors import WorkoutFileNotFoundError

# Import time (issue 15): the token store protocols (`typing`, `asyncio`, `inspect`) and the
# token relay (`http.server`, `wsgiref`, `ssl`, `logging`) made up ~60 of the ~100 ms `import
# enduco` took; they load on first use instead. Type checkers see plain imports.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from ._relay import MAX_RELAY_REQUEST_BYTES, RelayResponse, TokenRelay
    from ._store import AsyncTokenStore, AsyncTokenStoreLock, TokenStore, TokenStoreLock
else:
    _LAZY = {
        "MAX_RELAY_REQUEST_BYTES": "_relay",
        "RelayResponse": "_relay",
        "TokenRelay": "_relay",
        "AsyncTokenStore": "_store",
        "AsyncTokenStoreLock": "_store",
        "TokenStore": "_store",
        "TokenStoreLock": "_store",
    }

    def __getattr__(name):
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module 'enduco' has no attribute {name!r}")
        from importlib import import_module

        value = getattr(import_module(f".{module}", __name__), name)
        globals()[name] = value  # later lookups skip this function
        return value

    def __dir__():
        return sorted(set(globals()) | set(_LAZY))

#: ``enduco.TimeoutError`` is :class:`EnducoTimeoutError` (also a builtin ``TimeoutError``).
#: Left out of ``__all__`` so ``from enduco import *`` does not shadow the builtin.
TimeoutError = EnducoTimeoutError

__all__ = [
    "AsyncEnducoClient",
    "AsyncSession",
    "AsyncTokenStore",
    "AsyncTokenStoreLock",
    "AuthorizationRequest",
    "EnducoClient",
    "FileTokenStore",
    "IntensityZones",
    "MemoryTokenStore",
    "PlannedWorkout",
    "PostgresTokenStore",
    "PostgresTokenStores",
    "RawResponse",
    "RedisTokenStore",
    "RedisTokenStores",
    "RelayResponse",
    "Repeat",
    "ResolvedTarget",
    "Session",
    "SportZones",
    "Step",
    "StepTarget",
    "TimelineSegment",
    "TokenSet",
    "TokenStore",
    "TokenRelay",
    "TokenStoreLock",
    "UploadResult",
    "WebhookEvent",
    "Zone",
    "check_fit",
    "parse_webhook",
    "WorkoutFileNotFoundError",
    "ApiError",
    "AuthorizationDeniedError",
    "EnducoError",
    "EnducoTimeoutError",
    "InsufficientScopeError",
    "InternalError",
    "InvalidInputError",
    "InvalidResponseError",
    "NetworkError",
    "RateLimitedError",
    "ReauthorizationRequiredError",
    "ServerError",
    "StateMismatchError",
    "StoreError",
    "MAX_RELAY_REQUEST_BYTES",
    "__version__",
]
