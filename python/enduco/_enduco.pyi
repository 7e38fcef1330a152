"""Type stubs of the native module ``enduco._enduco`` (re-exported by ``enduco``)."""

import datetime
import os
import pathlib
from typing import Any, Callable, Coroutine, List, Mapping, Optional, Sequence, Tuple, Union, final

from typing_extensions import Self, disjoint_base

from ._store import AsyncTokenStore, AsyncTokenStoreLock, TokenStore, TokenStoreLock

__version__: str
#: The largest request body a token relay reads (16 KiB); adapters read at most one byte more.
MAX_RELAY_REQUEST_BYTES: int

# The module's own ``__all__`` (pyo3 lists everything the module adds, in that order).
__all__ = [
    "__version__",
    "EnducoClient",
    "AsyncEnducoClient",
    "Session",
    "AsyncSession",
    "MemoryTokenStore",
    "FileTokenStore",
    "PostgresTokenStores",
    "PostgresTokenStore",
    "RedisTokenStores",
    "RedisTokenStore",
    "TokenSet",
    "AuthorizationRequest",
    "IntensityZones",
    "SportZones",
    "Zone",
    "PlannedWorkout",
    "Step",
    "Repeat",
    "StepTarget",
    "ResolvedTarget",
    "TimelineSegment",
    "UploadResult",
    "RawResponse",
    "WebhookEvent",
    "_TokenRelay",
    "RelayResponse",
    "MAX_RELAY_REQUEST_BYTES",
    "parse_webhook",
    "check_fit",
    "_panic_for_tests",
    "_wait_for_sdk_threads",
]

_Path = Union[str, "os.PathLike[str]"]
_Workout = Union[_Path, bytes, bytearray, memoryview]
_Date = Union[datetime.date, str]
_Query = Union[Mapping[str, object], Sequence[Tuple[str, object]], None]
_Store = Union[
    TokenStore,
    AsyncTokenStore,
    "MemoryTokenStore",
    "FileTokenStore",
    "PostgresTokenStore",
    "RedisTokenStore",
]
_Progress = Callable[[int, int], object]

@final
class TokenSet:
    """One user's grant. ``repr()`` never shows a token value."""

    def __new__(
        cls,
        access_token: str,
        *,
        expires_at: Union[int, float, datetime.datetime],
        refresh_token: Optional[str] = None,
        # Defaults written as ``...`` where the runtime signature shows ``...`` (pyo3 does for
        # Rust default expressions), so stubtest can compare them: ``()`` and ``"Bearer"``.
        scopes: Sequence[str] = ...,
        token_type: str = ...,
    ) -> "TokenSet": ...
    @staticmethod
    def from_json(json: str) -> "TokenSet": ...
    def has_scope(self, scope: str) -> bool: ...
    def __hash__(self) -> int: ...
    def __reduce__(self) -> Tuple[Any, Tuple[str]]: ...
    def to_json(self) -> str: ...
    @property
    def access_token(self) -> str: ...
    @property
    def refresh_token(self) -> Optional[str]: ...
    @property
    def expires_at(self) -> datetime.datetime: ...
    @property
    def expires_at_unix(self) -> int: ...
    @property
    def scopes(self) -> List[str]: ...
    @property
    def token_type(self) -> str: ...
    @property
    def schema_version(self) -> int: ...
    @property
    def user_id(self) -> Optional[str]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class AuthorizationRequest:
    def __new__(
        cls,
        url: str,
        state: str,
        code_verifier: Optional[str] = None,
        # ``...`` as in the runtime signature (see ``TokenSet``): ``""`` and ``()``.
        redirect_uri: str = ...,
        scopes: Optional[Sequence[str]] = None,
    ) -> "AuthorizationRequest": ...
    @property
    def url(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def code_verifier(self) -> Optional[str]: ...
    @property
    def redirect_uri(self) -> str: ...
    @property
    def scopes(self) -> List[str]: ...
    def __reduce__(self) -> Tuple[Any, Tuple[str]]: ...
    def to_json(self) -> str: ...
    @staticmethod
    def from_json(json: str) -> "AuthorizationRequest": ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class Zone:
    @property
    def index(self) -> int: ...
    @property
    def name(self) -> Optional[str]: ...
    @property
    def lower(self) -> Optional[float]: ...
    @property
    def upper(self) -> Optional[float]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class SportZones:
    @property
    def sport(self) -> str: ...
    @property
    def metric(self) -> str: ...
    @property
    def unit(self) -> str: ...
    @property
    def threshold(self) -> Optional[float]: ...
    @property
    def zones(self) -> List[Zone]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class IntensityZones:
    @property
    def user_id(self) -> str: ...
    @property
    def updated_at(self) -> Optional[datetime.datetime]: ...
    @property
    def zones(self) -> List[SportZones]: ...
    def for_sport(self, sport: str, metric: str) -> Optional[SportZones]: ...
    def resolve(self, sport: str, target: "StepTarget") -> Optional["ResolvedTarget"]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class StepTarget:
    @property
    def metric(self) -> str: ...
    @property
    def zone(self) -> Optional[int]: ...
    @property
    def lower(self) -> Optional[float]: ...
    @property
    def upper(self) -> Optional[float]: ...
    @property
    def unit(self) -> Optional[str]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class ResolvedTarget:
    @property
    def metric(self) -> str: ...
    @property
    def lower(self) -> Optional[float]: ...
    @property
    def upper(self) -> Optional[float]: ...
    @property
    def unit(self) -> str: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class Repeat:
    @property
    def count(self) -> int: ...
    @property
    def steps(self) -> List["Step"]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class Step:
    @property
    def kind(self) -> str: ...
    @property
    def duration_seconds(self) -> Optional[int]: ...
    @property
    def distance_meters(self) -> Optional[float]: ...
    @property
    def target(self) -> Optional[StepTarget]: ...
    @property
    def repeat(self) -> Optional[Repeat]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class TimelineSegment:
    @property
    def index(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def start_offset_seconds(self) -> Optional[int]: ...
    @property
    def duration_seconds(self) -> Optional[int]: ...
    @property
    def distance_meters(self) -> Optional[float]: ...
    @property
    def target(self) -> Optional[StepTarget]: ...
    @property
    def resolved(self) -> Optional[ResolvedTarget]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class PlannedWorkout:
    @property
    def id(self) -> str: ...
    @property
    def date(self) -> datetime.date: ...
    @property
    def start_time(self) -> Optional[datetime.datetime]: ...
    @property
    def time_zone(self) -> str: ...
    @property
    def sport(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def description(self) -> Optional[str]: ...
    @property
    def duration_seconds(self) -> Optional[int]: ...
    @property
    def distance_meters(self) -> Optional[float]: ...
    @property
    def load(self) -> Optional[float]: ...
    @property
    def steps(self) -> List[Step]: ...
    @property
    def is_rest_day(self) -> bool: ...
    def local_start(self) -> Optional[datetime.datetime]: ...
    def timeline(self, zones: Optional[IntensityZones] = None) -> List[TimelineSegment]:
        """The steps flattened into segments (repeats unrolled), targets resolved against
        ``zones``. Bounded work; releases the GIL while it runs."""
    def timeline_checked(
        self, zones: Optional[IntensityZones] = None
    ) -> Tuple[List[TimelineSegment], bool]:
        """``(timeline(zones), truncated)``: ``truncated`` is True when the plan was too large
        (hostile or broken) to unroll completely."""
    def to_fit_workout(self, zones: Optional[IntensityZones] = None) -> bytes:
        """The workout as a FIT workout file (file type 5): repeats kept as FIT repeat steps,
        zone targets resolved with ``zones`` (else FIT zone numbers). A step FIT cannot hold
        raises ``InvalidInputError`` naming the step."""
    def to_zwo(self, zones: Optional[IntensityZones] = None) -> str:
        """The workout as ZWO (Zwift workout XML), power as a fraction of the FTP in ``zones``;
        cycling, time-based, power targets only (else ``InvalidInputError``)."""
    def to_erg(self, zones: Optional[IntensityZones] = None) -> str:
        """The workout as an ERG file: rows of minutes and watts, repeats written out."""
    def to_mrc(self, zones: Optional[IntensityZones] = None) -> str:
        """The workout as an MRC file: rows of minutes and percent of the FTP in ``zones``."""
    def __eq__(self, other: object, /) -> bool: ...

@final
class UploadResult:
    @property
    def id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def duplicate(self) -> bool: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class RawResponse:
    @property
    def status(self) -> int: ...
    @property
    def content_type(self) -> Optional[str]: ...
    @property
    def body(self) -> bytes: ...
    @property
    def text(self) -> str: ...
    def json(self) -> Any: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class WebhookEvent:
    @property
    def type(self) -> str:
        """``"user_deregistered"``, ``"plan_changed"`` or ``"unknown"``."""
    @property
    def user_id(self) -> Optional[str]: ...
    @property
    def date_from(self) -> Optional[datetime.date]: ...
    @property
    def date_to(self) -> Optional[datetime.date]: ...
    @property
    def occurred_at(self) -> Optional[datetime.datetime]: ...
    @property
    def raw(self) -> str: ...
    def __eq__(self, other: object, /) -> bool: ...

def parse_webhook(body: Union[bytes, bytearray, memoryview, str]) -> WebhookEvent: ...
def _panic_for_tests(where: str) -> Any:
    """Test hook, not API: panics inside the SDK's call wrappers (``"sync"`` raises
    ``InternalError``; ``"async"`` returns a coroutine whose await raises it)."""
def _wait_for_sdk_threads() -> None:
    """Not API: the ``atexit`` hook the module registers on import (SDK threads stop entering
    Python; waits, at most 2 s, until none is inside)."""

@final
class MemoryTokenStore:
    def __new__(cls, tokens: Optional[TokenSet] = None) -> "MemoryTokenStore": ...
    def load(self) -> Optional[TokenSet]: ...
    def save(self, tokens: TokenSet) -> None: ...
    def clear(self) -> None: ...

@final
class FileTokenStore:
    def __new__(cls, path: _Path) -> "FileTokenStore": ...
    @property
    def path(self) -> pathlib.Path: ...
    def load(self) -> Optional[TokenSet]: ...
    def save(self, tokens: TokenSet) -> None: ...
    def clear(self) -> None: ...

@final
class PostgresTokenStores:
    """The app's PostgreSQL connection pool for tokens (feature of the native core): create
    one per process and share it; ``for_user(key)`` gives each user's store. Connects on first
    use; ``repr()`` never shows the URL. An unusable URL raises ``InvalidInputError``."""

    def __new__(cls, url: str) -> "PostgresTokenStores": ...
    def migrate(self) -> None:
        """Creates the tables ``enduco_tokens`` and ``enduco_token_locks`` if missing
        (idempotent, safe when several processes run it at once). Blocks."""
    def migrate_async(self) -> Coroutine[Any, Any, None]:
        """``migrate()`` as a coroutine, for asyncio apps."""
    def for_user(self, key: str) -> "PostgresTokenStore": ...

@final
class PostgresTokenStore:
    """One user's tokens in PostgreSQL, with the cross-process refresh lock (a lease row).
    Pass it to ``session``/``connect`` of either client: the SDK calls it directly."""

    @property
    def key(self) -> str: ...
    def load(self) -> Optional[TokenSet]: ...
    def save(self, tokens: TokenSet) -> None: ...
    def clear(self) -> None: ...
    def load_async(self) -> Coroutine[Any, Any, Optional[TokenSet]]:
        """``load()`` as a coroutine (asyncio apps; host stores that wrap this one)."""
    def save_async(self, tokens: TokenSet) -> Coroutine[Any, Any, None]: ...
    def clear_async(self) -> Coroutine[Any, Any, None]: ...

@final
class RedisTokenStores:
    """The app's Redis connection for tokens: keys ``<prefix>tokens:<key>`` and
    ``<prefix>lock:<key>`` (default prefix ``"enduco:"``). Connects on first use; ``repr()``
    never shows the URL."""

    def __new__(cls, url: str, prefix: Optional[str] = None) -> "RedisTokenStores": ...
    @property
    def prefix(self) -> str: ...
    def migrate(self) -> None:
        """Nothing to create in Redis; returns at once."""
    def migrate_async(self) -> Coroutine[Any, Any, None]: ...
    def for_user(self, key: str) -> "RedisTokenStore": ...

@final
class RedisTokenStore:
    """One user's tokens in Redis, with the cross-process refresh lock (``SET NX PX`` and an
    owner-only release)."""

    @property
    def key(self) -> str: ...
    def load(self) -> Optional[TokenSet]: ...
    def save(self, tokens: TokenSet) -> None: ...
    def clear(self) -> None: ...
    def load_async(self) -> Coroutine[Any, Any, Optional[TokenSet]]: ...
    def save_async(self, tokens: TokenSet) -> Coroutine[Any, Any, None]: ...
    def clear_async(self) -> Coroutine[Any, Any, None]: ...

@final
class Session:
    def intensity_zones(self) -> IntensityZones: ...
    def upcoming_plans(self, days: int = 7) -> List[PlannedWorkout]: ...
    def training_plans(self, date_from: _Date, date_to: _Date) -> List[PlannedWorkout]: ...
    def upload_workout(
        self,
        workout: _Workout,
        *,
        progress: Optional[_Progress] = None,
        file_name: Optional[str] = None,
    ) -> UploadResult: ...
    def request(
        self, method: str, path: str, query: _Query = None, json: object = None
    ) -> RawResponse: ...
    def refresh(self) -> TokenSet: ...
    def revoke(self) -> None: ...
    def tokens(self) -> TokenSet: ...
    def user_id(self) -> str: ...
    def granted_scopes(self) -> List[str]: ...

@final
class AsyncSession:
    def intensity_zones(self) -> Coroutine[Any, Any, IntensityZones]: ...
    def upcoming_plans(self, days: int = 7) -> Coroutine[Any, Any, List[PlannedWorkout]]: ...
    def training_plans(
        self, date_from: _Date, date_to: _Date
    ) -> Coroutine[Any, Any, List[PlannedWorkout]]: ...
    def upload_workout(
        self,
        workout: _Workout,
        *,
        progress: Optional[_Progress] = None,
        file_name: Optional[str] = None,
    ) -> Coroutine[Any, Any, UploadResult]: ...
    def request(
        self, method: str, path: str, query: _Query = None, json: object = None
    ) -> Coroutine[Any, Any, RawResponse]: ...
    def refresh(self) -> Coroutine[Any, Any, TokenSet]: ...
    def revoke(self) -> Coroutine[Any, Any, None]: ...
    def tokens(self) -> Coroutine[Any, Any, TokenSet]: ...
    def user_id(self) -> Coroutine[Any, Any, str]: ...
    def granted_scopes(self) -> Coroutine[Any, Any, List[str]]: ...

@final
class EnducoClient:
    def __new__(
        cls,
        client_id: str,
        client_secret: Optional[str] = None,
        # Required (a missing one raises ``TypeError``); a default (``...``, as the runtime
        # signature shows it) only so that a relay client can name it and leave the secret out.
        redirect_uri: str = ...,
        *,
        token_relay_url: Optional[str] = None,
        environment: Optional[str] = None,
        use_pkce: Optional[bool] = None,
        time_zone: Optional[str] = None,
        user_agent: Optional[str] = None,
        connect_timeout_seconds: Optional[float] = None,
        request_timeout_seconds: Optional[float] = None,
        upload_timeout_seconds: Optional[float] = None,
        max_retries: Optional[int] = None,
        retry_deadline_seconds: Optional[float] = None,
        refresh_margin_seconds: Optional[float] = None,
        store_timeout_seconds: Optional[float] = None,
        lock_lease_seconds: Optional[float] = None,
        max_response_bytes: Optional[int] = None,
        endpoints: Optional[Mapping[str, str]] = None,
    ) -> "EnducoClient":
        """Keyword arguments mirror the core's ``ClientOptions`` (all optional):

        - ``token_relay_url``: relay mode, for an app distributed to users (desktop, CLI),
          which cannot keep a secret: pass no ``client_secret``; code exchange, refresh and
          revoke go to ``{token_relay_url}/token`` and ``/revoke`` (the partner's
          ``TokenRelay``), data calls still straight to enduco. Neither a secret nor a relay,
          or both, raises ``InvalidInputError``;

        - ``refresh_margin_seconds``: refresh when less than this is left on the access token
          (default 60; 0 = only once it has expired);
        - ``store_timeout_seconds``: the longest one token store call (load, save, clear,
          try_lock, unlock) may take before the SDK call fails with ``StoreError`` (default 10);
        - ``lock_lease_seconds``: the lease asked for in ``try_lock`` — how long a process that
          crashed while refreshing blocks the others (default: the request timeout plus twice
          the store timeout plus 5 s);
        - ``max_response_bytes``: the largest answer read from a data endpoint (at least 1024;
          default 8 MiB); a bigger one fails with ``InvalidResponseError`` without being read
          whole. Token answers have a fixed 64 KiB cap.
        """
    def authorization_request(self, scopes: Sequence[str]) -> AuthorizationRequest: ...
    def complete_authorization(
        self, request: AuthorizationRequest, callback_url: str
    ) -> TokenSet: ...
    def exchange_code(self, code: str, code_verifier: Optional[str] = None) -> TokenSet: ...
    def session(self, store: _Store) -> Session: ...
    def connect(self, store: _Store, tokens: TokenSet) -> Session: ...
    def parse_webhook(self, body: Union[bytes, bytearray, memoryview, str]) -> WebhookEvent: ...
    def clear_deregistered_user(
        self,
        event: Union[WebhookEvent, bytes, bytearray, memoryview, str],
        store: Union[_Store, Callable[[str], Optional[_Store]], None],
    ) -> Optional[str]:
        """Acts on a deregistration webhook only once enduco confirms it: refreshes the user's
        grant through ``store`` (the user's token store, or a callable taking the user id and
        returning it or ``None``); clears the store only if enduco answers that the grant is
        gone (``reauthorization_required``) and returns the cleared user id. A forged or stale
        event — the grant still refreshes — clears nothing, is logged as a warning and returns
        ``None``; so do other events and unknown users. Other failures (network, store) raise,
        so the app can answer the webhook with a 5xx and let enduco deliver it again."""

@final
class AsyncEnducoClient:
    def __new__(
        cls,
        client_id: str,
        client_secret: Optional[str] = None,
        # Required (a missing one raises ``TypeError``); a default (``...``, as the runtime
        # signature shows it) only so that a relay client can name it and leave the secret out.
        redirect_uri: str = ...,
        *,
        token_relay_url: Optional[str] = None,
        environment: Optional[str] = None,
        use_pkce: Optional[bool] = None,
        time_zone: Optional[str] = None,
        user_agent: Optional[str] = None,
        connect_timeout_seconds: Optional[float] = None,
        request_timeout_seconds: Optional[float] = None,
        upload_timeout_seconds: Optional[float] = None,
        max_retries: Optional[int] = None,
        retry_deadline_seconds: Optional[float] = None,
        refresh_margin_seconds: Optional[float] = None,
        store_timeout_seconds: Optional[float] = None,
        lock_lease_seconds: Optional[float] = None,
        max_response_bytes: Optional[int] = None,
        endpoints: Optional[Mapping[str, str]] = None,
    ) -> "AsyncEnducoClient":
        """Keyword arguments mirror the core's ``ClientOptions`` (all optional):

        - ``token_relay_url``: relay mode, for an app distributed to users (desktop, CLI),
          which cannot keep a secret: pass no ``client_secret``; code exchange, refresh and
          revoke go to ``{token_relay_url}/token`` and ``/revoke`` (the partner's
          ``TokenRelay``), data calls still straight to enduco. Neither a secret nor a relay,
          or both, raises ``InvalidInputError``;

        - ``refresh_margin_seconds``: refresh when less than this is left on the access token
          (default 60; 0 = only once it has expired);
        - ``store_timeout_seconds``: the longest one token store call (load, save, clear,
          try_lock, unlock) may take before the SDK call fails with ``StoreError`` (default 10);
        - ``lock_lease_seconds``: the lease asked for in ``try_lock`` — how long a process that
          crashed while refreshing blocks the others (default: the request timeout plus twice
          the store timeout plus 5 s);
        - ``max_response_bytes``: the largest answer read from a data endpoint (at least 1024;
          default 8 MiB); a bigger one fails with ``InvalidResponseError`` without being read
          whole. Token answers have a fixed 64 KiB cap.
        """
    def authorization_request(self, scopes: Sequence[str]) -> AuthorizationRequest: ...
    def complete_authorization(
        self, request: AuthorizationRequest, callback_url: str
    ) -> Coroutine[Any, Any, TokenSet]: ...
    def exchange_code(
        self, code: str, code_verifier: Optional[str] = None
    ) -> Coroutine[Any, Any, TokenSet]: ...
    def session(self, store: _Store) -> AsyncSession: ...
    def connect(self, store: _Store, tokens: TokenSet) -> Coroutine[Any, Any, AsyncSession]: ...
    def parse_webhook(self, body: Union[bytes, bytearray, memoryview, str]) -> WebhookEvent: ...
    def clear_deregistered_user(
        self,
        event: Union[WebhookEvent, bytes, bytearray, memoryview, str],
        store: Union[_Store, Callable[[str], Optional[_Store]], None],
    ) -> Coroutine[Any, Any, Optional[str]]:
        """``EnducoClient.clear_deregistered_user`` as a coroutine."""

@final
class RelayResponse:
    """One token relay answer: send ``status``, ``headers`` and ``body`` as they are. ``body``
    holds tokens: ``repr()`` shows its length only."""

    @property
    def status(self) -> int: ...
    @property
    def headers(self) -> List[Tuple[str, str]]:
        """``Content-Type: application/json`` and ``Cache-Control: no-store``."""
    @property
    def body(self) -> bytes: ...
    @property
    def user_id(self) -> Optional[str]:
        """enduco's user id after a successful code exchange or refresh, else ``None``."""

@disjoint_base
class _TokenRelay:
    """The native half of ``enduco.TokenRelay`` (which adds the hook and the adapters)."""

    def __new__(
        cls,
        client_id: str,
        client_secret: str,
        *,
        environment: Optional[str] = None,
        redirect_uri: Optional[str] = None,
        user_agent: Optional[str] = None,
        connect_timeout_seconds: Optional[float] = None,
        request_timeout_seconds: Optional[float] = None,
        max_retries: Optional[int] = None,
        retry_deadline_seconds: Optional[float] = None,
        endpoints: Optional[Mapping[str, str]] = None,
    ) -> Self:
        """Keyword options are ``EnducoClient``'s (those about enduco's side matter here);
        ``token_relay_url`` is refused (``InvalidInputError``), as is an empty secret."""
    def respond(self, path: str, content_type: Optional[str], body: bytes) -> RelayResponse:
        """One app request, blocking (GIL released): ``path``'s last segment names the
        operation (``token`` or ``revoke``); ``body`` at most ``MAX_RELAY_REQUEST_BYTES + 1``
        bytes of the request's. Refusals are 400 answers with an OAuth error body."""
    def respond_async(
        self, path: str, content_type: Optional[str], body: bytes
    ) -> Coroutine[Any, Any, RelayResponse]:
        """``respond`` as a coroutine."""

def check_fit(fit: Union[bytes, bytearray, memoryview, str, os.PathLike[str]]) -> int:
    """The FIT pre-flight an upload runs (header, sizes, CRCs, activity type): the file's size,
    or ``InvalidInputError`` naming the defect."""
