"""Executors share one pooled client per profile: per process (sync) and per event loop (async).

A wait in a triggerer builds an executor per wait; without sharing, 1,000 waits
meant 1,000 clients and pools. These tests count clients, pools and the requests
the simulator saw.
"""

import asyncio
import os

import httpx
import pytest

from conn_shared.executors import AsyncExecutor, SyncExecutor, aclose_shared_clients
from conn_shared.sim.server import SimServer
from tests.integration.support import make_backend

LIST_ROUTE = "/v1/connections"


def _private(executor: SyncExecutor | AsyncExecutor) -> httpx.Client | httpx.AsyncClient | None:
    return executor._client


def test_sync_executors_of_one_profile_share_a_client_that_close_leaves_open(
    sim: SimServer,
) -> None:
    backend = make_backend("fivetran", sim)
    with SyncExecutor(backend.profile()) as first, SyncExecutor(backend.profile()) as second:
        assert _private(first) is _private(second)
        first.call(backend.list_connections())
    client = _private(first)
    assert client is not None
    assert not client.is_closed
    with SyncExecutor(backend.profile()) as third:
        third.call(backend.list_connections())
        assert _private(third) is client
    assert sim.count("fivetran", "GET", LIST_ROUTE) == 2


@pytest.mark.parametrize(
    ("other_key", "shared"),
    [
        pytest.param(None, True, id="same-credentials"),
        pytest.param("another-key", False, id="other-credentials"),
    ],
)
def test_the_pool_key_separates_credentials(
    sim: SimServer, other_key: str | None, shared: bool
) -> None:
    one = make_backend("fivetran", sim)
    two = make_backend("fivetran", sim, key=other_key)
    assert (one.profile().pool_key() == two.profile().pool_key()) is shared
    with SyncExecutor(one.profile()) as a, SyncExecutor(two.profile()) as b:
        assert (_private(a) is _private(b)) is shared


def test_the_pool_key_holds_no_secret_in_clear(sim: SimServer) -> None:
    backend = make_backend("fivetran", sim, key="planted-key-7f3a", secret="planted-secret-9c1b")
    text = repr(backend.profile().pool_key())
    assert "planted-key-7f3a" not in text
    assert "planted-secret-9c1b" not in text


def test_a_private_transport_gets_a_private_client(sim: SimServer) -> None:
    backend = make_backend("fivetran", sim)
    transport = httpx.HTTPTransport()
    with (
        SyncExecutor(backend.profile(), transport=transport) as private,
        SyncExecutor(backend.profile()) as shared,
    ):
        assert _private(private) is not _private(shared)
    client = _private(private)
    assert client is not None
    assert client.is_closed


async def test_many_concurrent_async_waits_share_one_client_and_cap_in_flight(
    sim: SimServer,
) -> None:
    backend = make_backend("faraday", sim)
    profile = backend.profile()
    executors = [AsyncExecutor(profile) for _ in range(200)]
    try:
        await asyncio.gather(*(ex.call(backend.list_connections()) for ex in executors))
        clients = {id(_private(ex)) for ex in executors}
        assert len(clients) == 1
        slots = executors[0]._slots
        assert slots is not None
        assert slots._value == profile.max_connections
    finally:
        await aclose_shared_clients()
    assert sim.count("faraday", "GET", "/v1/connections") == 200


def test_each_event_loop_gets_its_own_async_client(sim: SimServer) -> None:
    backend = make_backend("hub", sim)

    async def borrow() -> bool:
        executor = AsyncExecutor(backend.profile())
        await executor.call(backend.list_connections())
        client = _private(executor)
        await aclose_shared_clients()
        return client is not None and client.is_closed

    # Two loops in turn: a client bound to the finished first loop would fail in the second.
    assert asyncio.run(borrow())
    assert asyncio.run(borrow())
    assert sim.count("hub", "GET", "/api/v1/connections") == 2


def test_a_forked_child_builds_its_own_sync_client(sim: SimServer) -> None:
    backend = make_backend("fivetran", sim)
    with SyncExecutor(backend.profile()) as parent:
        parent.call(backend.list_connections())
        parent_client = id(_private(parent))
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        os.close(read)
        try:
            with SyncExecutor(backend.profile()) as child:
                child.call(backend.list_connections())
                same = id(_private(child)) == parent_client
            os.write(write, b"same" if same else b"own")
        finally:
            os._exit(0)
    os.close(write)
    answer = os.read(read, 16)
    os.waitpid(pid, 0)
    assert answer == b"own"
    assert sim.count("fivetran", "GET", LIST_ROUTE) == 2
