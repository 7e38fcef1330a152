"""Host stores that fail: StoreError with the original exception as __cause__, and no lost
tokens (DESIGN §3 rule 3)."""

from __future__ import annotations

from typing import Any, List, Optional

import pytest

import enduco
from support import Sandbox, alogin, expired, login


class FlakySaveStore:
    """save() raises OSError until `broken` is cleared."""

    def __init__(self, tokens: enduco.TokenSet) -> None:
        self.tokens: Optional[enduco.TokenSet] = tokens
        self.broken = True
        self.saved: List[enduco.TokenSet] = []

    def load(self) -> Optional[enduco.TokenSet]:
        return self.tokens

    def save(self, tokens: enduco.TokenSet) -> None:
        if self.broken:
            raise OSError("disk full")
        self.saved.append(tokens)
        self.tokens = tokens

    def clear(self) -> None:
        self.tokens = None


class AsyncFlakySaveStore(FlakySaveStore):
    async def load(self) -> Optional[enduco.TokenSet]:  # type: ignore[override]
        return super().load()

    async def save(self, tokens: enduco.TokenSet) -> None:  # type: ignore[override]
        super().save(tokens)

    async def clear(self) -> None:  # type: ignore[override]
        super().clear()


def _check_failure(error: enduco.StoreError) -> None:
    assert error.code == "store"
    assert isinstance(error.__cause__, OSError)
    assert str(error.__cause__) == "disk full"
    assert "disk full" in str(error)


@pytest.mark.parametrize("store_class", [FlakySaveStore, AsyncFlakySaveStore])
def test_failed_save_loses_nothing_sync_client(
    client: enduco.EnducoClient, sandbox: Sandbox, store_class: Any
) -> None:
    tokens = login(client, sandbox)
    store = store_class(expired(tokens))
    session = client.session(store)
    sandbox.expire_access_tokens()

    with pytest.raises(enduco.StoreError) as caught:
        session.intensity_zones()
    _check_failure(caught.value)
    assert sandbox.refresh_count() == 1
    assert store.saved == []

    store.broken = False
    zones = session.intensity_zones()  # saves the kept tokens first, then succeeds
    assert zones.user_id == "athlete-1001"
    assert sandbox.refresh_count() == 1, "the refreshed tokens were lost and fetched again"
    assert len(store.saved) == 1
    assert store.saved[0].refresh_token != tokens.refresh_token
    session.intensity_zones()
    assert len(store.saved) == 1


@pytest.mark.asyncio
@pytest.mark.parametrize("store_class", [FlakySaveStore, AsyncFlakySaveStore])
async def test_failed_save_loses_nothing_async_client(
    aclient: enduco.AsyncEnducoClient, sandbox: Sandbox, store_class: Any
) -> None:
    tokens = await alogin(aclient, sandbox)
    store = store_class(expired(tokens))
    session = aclient.session(store)
    sandbox.expire_access_tokens()

    with pytest.raises(enduco.StoreError) as caught:
        await session.intensity_zones()
    _check_failure(caught.value)
    assert sandbox.refresh_count() == 1

    store.broken = False
    assert (await session.intensity_zones()).user_id == "athlete-1001"
    assert sandbox.refresh_count() == 1
    assert len(store.saved) == 1


class GarbageStore:
    def __init__(self, value: Any) -> None:
        self.value = value

    def load(self) -> Any:
        return self.value

    def save(self, tokens: enduco.TokenSet) -> None:
        pass

    def clear(self) -> None:
        pass


@pytest.mark.parametrize("value", [42, {"access_token": "x"}, b"bytes"])
def test_load_returning_garbage_is_a_clear_store_error(client: enduco.EnducoClient, value: Any) -> None:
    session = client.session(GarbageStore(value))
    with pytest.raises(enduco.StoreError, match="must return a TokenSet, None or the string"):
        session.intensity_zones()


def test_load_returning_a_bad_string(client: enduco.EnducoClient) -> None:
    session = client.session(GarbageStore("not json"))
    with pytest.raises(enduco.StoreError, match="not a stored token set") as caught:
        session.user_id()
    assert isinstance(caught.value.__cause__, enduco.InvalidInputError)


def test_load_raising(client: enduco.EnducoClient) -> None:
    class Broken(GarbageStore):
        def load(self) -> Any:
            raise KeyError("row 17")

    with pytest.raises(enduco.StoreError) as caught:
        client.session(Broken(None)).intensity_zones()
    assert isinstance(caught.value.__cause__, KeyError)


@pytest.mark.asyncio
async def test_async_load_returning_garbage(aclient: enduco.AsyncEnducoClient) -> None:
    class Store(GarbageStore):
        async def load(self) -> Any:
            return 3.5

    with pytest.raises(enduco.StoreError, match="not float"):
        await aclient.session(Store(None)).intensity_zones()  # type: ignore[arg-type]


def test_not_a_store(client: enduco.EnducoClient) -> None:
    with pytest.raises(TypeError, match="load"):
        client.session(object())  # type: ignore[arg-type]


def test_no_tokens_stored(client: enduco.EnducoClient) -> None:
    with pytest.raises(enduco.ReauthorizationRequiredError):
        client.session(enduco.MemoryTokenStore()).intensity_zones()


def test_sync_call_from_inside_a_store_is_refused(client: enduco.EnducoClient, sandbox: Sandbox) -> None:
    tokens = login(client, sandbox)
    inner = client.session(enduco.MemoryTokenStore(tokens))

    class Reentrant(GarbageStore):
        def load(self) -> Any:
            inner.user_id()
            return tokens

    with pytest.raises(enduco.StoreError) as caught:
        client.session(Reentrant(None)).intensity_zones()
    assert isinstance(caught.value.__cause__, RuntimeError)
