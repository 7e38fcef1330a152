"""The token store protocols, and the helpers the native module uses to call a host's store
methods (plain or ``async def``)."""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import threading
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Optional, Protocol, Tuple, Union

if TYPE_CHECKING:
    from ._enduco import TokenSet

__all__ = ["TokenStore", "AsyncTokenStore", "TokenStoreLock", "AsyncTokenStoreLock"]


class TokenStore(Protocol):
    """Where one user's tokens live (a database row, a keychain item, a file).

    ``load()`` returns the stored :class:`~enduco.TokenSet`, ``None`` when the user has not
    connected enduco, or the string ``TokenSet.to_json()`` produced. ``save()`` must replace
    what is stored; it is called with new tokens *before* anyone uses them. ``clear()`` forgets
    them (after revoke or deregistration). An exception raised here surfaces as
    :class:`~enduco.StoreError` with the original as ``__cause__``.

    With the sync client these methods run on an SDK worker thread (make them thread-safe;
    e.g. open a sqlite3 connection per call). Each call is bounded by the client's
    ``store_timeout_seconds``: past it the SDK call fails with :class:`~enduco.StoreError`.

    A store without the lock methods of :class:`TokenStoreLock` is for **one process only**.
    """

    def load(self) -> Optional[Union[TokenSet, str]]: ...

    def save(self, tokens: TokenSet) -> object: ...

    def clear(self) -> object: ...


class AsyncTokenStore(Protocol):
    """:class:`TokenStore` with ``async def`` methods. With the async client they run on the
    event loop of a calling coroutine; with the sync client each runs to completion in a new
    event loop on an SDK worker thread (so it must not depend on another loop). A method still
    running when the store timeout passes is cancelled."""

    def load(self) -> Awaitable[Optional[Union[TokenSet, str]]]: ...

    def save(self, tokens: TokenSet) -> Awaitable[object]: ...

    def clear(self) -> Awaitable[object]: ...


class TokenStoreLock(Protocol):
    """The optional refresh lock of a store that several processes share (a database row, a
    shared file): add these two methods to a :class:`TokenStore` and every process — each
    CLI run, each backend worker — takes turns refreshing one user's grant.

    The session takes the lock around *re-read the store → refresh → save*, and uses tokens
    another process saved meanwhile instead of sending its own token request. Without it, two
    processes may present the same refresh token; enduco's server then keeps only one of the
    answers or, with reuse detection, revokes the whole grant.

    ``try_lock(owner, lease_seconds)`` takes the lock for ``owner`` unless *another* owner
    holds it with an unexpired lease, and returns whether ``owner`` holds it now (``True`` or
    ``False``; never wait for it — the SDK retries with backoff within its retry deadline).
    Taking it again as the same owner renews the lease. The lease bounds how long a holder
    that crashed blocks the others. ``unlock(owner)`` releases it only if ``owner`` still
    holds it (a holder whose lease ran out must not release its successor's lock).

    If ``try_lock`` raises, the call fails with :class:`~enduco.StoreError` and no token
    request is sent; an exception from ``unlock`` is only logged (the lease ends the lock).
    Both must have the same kind (plain or ``async def``) as the store's other methods;
    set either to ``None`` in a subclass to switch the lock off.
    """

    def try_lock(self, owner: str, lease_seconds: float) -> bool: ...

    def unlock(self, owner: str) -> object: ...


class AsyncTokenStoreLock(Protocol):
    """:class:`TokenStoreLock` with ``async def`` methods (for an :class:`AsyncTokenStore`)."""

    def try_lock(self, owner: str, lease_seconds: float) -> Awaitable[bool]: ...

    def unlock(self, owner: str) -> Awaitable[object]: ...


class BlockingCall:
    """Sync client: one store method call on an SDK worker thread (``run()``). An awaitable
    result runs to completion in a new event loop on that thread, like ``asyncio.run``;
    ``cancel()``, called from another thread when the SDK stops waiting (the store timeout),
    cancels it so the worker thread is not held forever."""

    def __init__(self, method: Callable[..., Any], args: Tuple[Any, ...]) -> None:
        self._method = method
        self._args = args
        self._lock = threading.Lock()
        self._cancelled = False
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._task: Optional["asyncio.Task[Any]"] = None

    def run(self) -> Any:
        if self._cancelled:
            raise asyncio.CancelledError()
        result = self._method(*self._args)
        if inspect.isawaitable(result):
            result = asyncio.run(self._finish(result))
        return result

    async def _finish(self, awaitable: Awaitable[Any]) -> Any:
        with self._lock:
            if self._cancelled:
                if inspect.iscoroutine(awaitable):
                    awaitable.close()
                raise asyncio.CancelledError()
            self._loop = asyncio.get_running_loop()
            self._task = asyncio.current_task()
        try:
            return await awaitable
        finally:
            with self._lock:
                self._loop = self._task = None

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            loop, task = self._loop, self._task
        if loop is not None and task is not None:
            try:
                loop.call_soon_threadsafe(task.cancel)
            except RuntimeError:
                pass  # the loop has closed: the call is over


class LoopCall:
    """Async client: one store method call, scheduled from an SDK thread onto the event loop
    of a calling coroutine. ``reply(value, error)`` gets the outcome on that loop; ``cancel()``
    (any thread) cancels an ``async def`` method that is still running."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        context: Optional[contextvars.Context],
        method: Callable[..., Any],
        args: Tuple[Any, ...],
        reply: Callable[..., None],
    ) -> None:
        self._loop = loop
        self._context = context
        self._method = method
        self._args = args
        self._reply: Optional[Callable[..., None]] = reply
        self._task: Optional["asyncio.Future[Any]"] = None
        self._cancelled = False

    def schedule(self) -> None:
        """From any thread. Raises ``RuntimeError`` if the loop is closed."""
        if self._loop.is_closed():
            raise RuntimeError("the asyncio event loop of the call is closed")
        self._loop.call_soon_threadsafe(self._start, context=self._context)

    def _answer(self, value: Any, error: Optional[BaseException]) -> None:
        reply, self._reply = self._reply, None
        if reply is not None:
            reply(value, error)

    def _start(self) -> None:
        if self._cancelled:
            self._answer(None, asyncio.CancelledError())
            return
        try:
            result = self._method(*self._args)
            if not inspect.isawaitable(result):
                self._answer(result, None)
                return
            self._task = asyncio.ensure_future(result)
        except BaseException as e:  # noqa: BLE001 - handed to the SDK as the store's failure
            self._answer(None, e)
            if isinstance(e, (KeyboardInterrupt, SystemExit)):
                raise
            return
        self._task.add_done_callback(self._finished)

    def _finished(self, task: "asyncio.Future[Any]") -> None:
        if task.cancelled():
            self._answer(None, asyncio.CancelledError())
            return
        error = task.exception()
        if error is not None:
            self._answer(None, error)
        else:
            self._answer(task.result(), None)

    def _cancel_on_loop(self) -> None:
        self._cancelled = True
        if self._task is not None:
            self._task.cancel()

    def cancel(self) -> None:
        """From any thread: the SDK stopped waiting (store timeout)."""
        try:
            self._loop.call_soon_threadsafe(self._cancel_on_loop)
        except RuntimeError:
            pass  # the loop has closed: nothing runs there any more


async def run_coroutine(start: Callable[[], Awaitable[Any]]) -> Any:
    """The body of every coroutine the async classes return: start the Rust work on the loop
    that awaits this coroutine, then wait for it."""
    return await start()


def complete_future(future: "asyncio.Future[Any]", method: str, value: Any) -> None:
    """Run on the future's loop: hands it the outcome of the Rust work (``set_result`` or
    ``set_exception``) unless it is done already (cancelled)."""
    if not future.done():
        getattr(future, method)(value)
