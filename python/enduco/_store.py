"""The token store protocols, and the two helpers the native module uses to call a host's
store methods (plain or ``async def``)."""

from __future__ import annotations

import asyncio
import inspect
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Optional, Protocol, Union

if TYPE_CHECKING:
    from ._enduco import TokenSet

__all__ = ["TokenStore", "AsyncTokenStore"]


class TokenStore(Protocol):
    """Where one user's tokens live (a database row, a keychain item, a file).

    ``load()`` returns the stored :class:`~enduco.TokenSet`, ``None`` when the user has not
    connected enduco, or the string ``TokenSet.to_json()`` produced. ``save()`` must replace
    what is stored; it is called with new tokens *before* anyone uses them. ``clear()`` forgets
    them (after revoke or deregistration). An exception raised here surfaces as
    :class:`~enduco.StoreError` with the original as ``__cause__``.

    With the sync client these methods run on an SDK worker thread (make them thread-safe;
    e.g. open a sqlite3 connection per call).
    """

    def load(self) -> Optional[Union[TokenSet, str]]: ...

    def save(self, tokens: TokenSet) -> object: ...

    def clear(self) -> object: ...


class AsyncTokenStore(Protocol):
    """:class:`TokenStore` with ``async def`` methods. With the async client they run on the
    event loop of the calling coroutine; with the sync client each runs to completion in
    ``asyncio.run`` on an SDK worker thread (so it must not depend on another loop)."""

    def load(self) -> Awaitable[Optional[Union[TokenSet, str]]]: ...

    def save(self, tokens: TokenSet) -> Awaitable[object]: ...

    def clear(self) -> Awaitable[object]: ...


async def _wait(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def call_blocking(method: Callable[..., Any], *args: Any) -> Any:
    """Sync client: call a store method on an SDK worker thread; run an awaitable result."""
    result = method(*args)
    if inspect.isawaitable(result):
        result = asyncio.run(_wait(result))
    return result


async def call_on_loop(method: Callable[..., Any], *args: Any) -> Any:
    """Async client: call a store method on the caller's event loop, awaiting it if needed."""
    result = method(*args)
    if inspect.isawaitable(result):
        result = await result
    return result



async def run_coroutine(start: Callable[[], Awaitable[Any]]) -> Any:
    """The body of every coroutine the async classes return: start the Rust work on the loop
    that awaits this coroutine, then wait for it."""
    return await start()
