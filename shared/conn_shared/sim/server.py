"""`SimServer`: the simulator on a free loopback port, in a background thread.

Example::

    with SimServer() as sim:
        base = sim.base_url("fivetran")          # http://127.0.0.1:PORT/fivetran
        key, secret = sim.credentials.fivetran_api_key, sim.credentials.fivetran_api_secret
        ...                                       # point a client at `base`
        sim.advance(60)                           # finish a 30 s sync without waiting
"""

import importlib.util
import logging
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette

from conn_shared.sim.app import build_app
from conn_shared.sim.clock import SimClock
from conn_shared.sim.core import SimBackend, SimCore
from conn_shared.sim.credentials import SimCredentials
from conn_shared.sim.faults import FaultPlan
from conn_shared.sim.ratelimit import RateLimit
from conn_shared.sim.vendors import VENDORS, build_vendor

__all__ = ["ALL_BACKENDS", "SimServer", "build_backends", "uvicorn_config"]

ALL_BACKENDS = tuple(VENDORS)
_STARTUP_TIMEOUT = 15.0
# What uvicorn logs when the app hangs up on purpose (the drop and commit_then_lose faults).
_EXPECTED_ABORT = "ASGI callable returned without completing response."


class _ExpectedAbortFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != _EXPECTED_ABORT


def build_backends(
    names: Sequence[str],
    clock: SimClock,
    credentials: SimCredentials,
    *,
    fivetran_options: Mapping[str, Any] | None = None,
    faraday_options: Mapping[str, Any] | None = None,
    hub_options: Mapping[str, Any] | None = None,
) -> list[SimBackend]:
    """The named vendor simulators, sharing `clock`, accepting `credentials`.

    `*_options` are extra keyword arguments for each vendor's constructor
    (e.g. `{"sync_seconds": 5}` for Fivetran, `{"build_seconds": 5}` for Faraday).
    Vendors come from `vendors.VENDORS`; their packages are imported only when asked for.
    """
    unknown = set(names) - set(ALL_BACKENDS)
    if unknown:
        raise ValueError(f"unknown backends {sorted(unknown)}; expected some of {ALL_BACKENDS}")
    options = {"fivetran": fivetran_options, "faraday": faraday_options, "hub": hub_options}
    return [build_vendor(name, clock, credentials, options.get(name) or {}) for name in names]


def uvicorn_config(app: Starlette, *, log_level: str = "warning") -> uvicorn.Config:
    """uvicorn settings for the simulator: uvloop and httptools when installed, no access log."""
    has_uvloop = importlib.util.find_spec("uvloop") is not None
    has_httptools = importlib.util.find_spec("httptools") is not None
    config = uvicorn.Config(
        app,
        loop="uvloop" if has_uvloop else "asyncio",
        http="httptools" if has_httptools else "h11",
        lifespan="off",
        access_log=False,
        log_level=log_level,
        log_config=None,  # leave the host application's logging alone
        timeout_keep_alive=30,
    )
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _ExpectedAbortFilter) for f in logger.filters):
        logger.addFilter(_ExpectedAbortFilter())
    return config


class SimServer:
    """The simulator served on `host` (a free port when `port` is 0) until `stop()`.

    Pass `backends` to serve exactly those objects, or `names` to build the default
    vendors with `credentials` (and `*_options`). `clock` defaults to real time
    (speed 1); `faults`, `rate_limit` and `latency` (real seconds per request) are
    the core's settings. Use as a context manager, or call `start()` and `stop()`.
    """

    def __init__(
        self,
        *,
        backends: Sequence[SimBackend] | None = None,
        names: Sequence[str] = ALL_BACKENDS,
        clock: SimClock | None = None,
        credentials: SimCredentials | None = None,
        faults: FaultPlan | None = None,
        rate_limit: RateLimit | None = None,
        latency: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
        fivetran_options: Mapping[str, Any] | None = None,
        faraday_options: Mapping[str, Any] | None = None,
        hub_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.clock = clock if clock is not None else SimClock()
        self.credentials = credentials if credentials is not None else SimCredentials()
        if backends is None:
            backends = build_backends(
                names,
                self.clock,
                self.credentials,
                fivetran_options=fivetran_options,
                faraday_options=faraday_options,
                hub_options=hub_options,
            )
        self.backends: dict[str, SimBackend] = {b.name: b for b in backends}
        self.app = build_app(
            backends=backends,
            clock=self.clock,
            faults=faults,
            rate_limit=rate_limit,
            latency=latency,
        )
        self.core: SimCore = self.app.state.core
        self.host = host
        self._port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._client: httpx.Client | None = None

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> "SimServer":
        """Bind, serve in a daemon thread, and return once connections are accepted."""
        if self._thread is not None:
            raise RuntimeError("SimServer is already running")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self._port))
        self._socket = sock
        self._port = sock.getsockname()[1]
        server = uvicorn.Server(uvicorn_config(self.app))
        self._server = server
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="conn-sim", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + _STARTUP_TIMEOUT
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the simulator did not start on {self.host}:{self._port}")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        """Shut the server down and wait for its thread."""
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=_STARTUP_TIMEOUT)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> "SimServer":
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses ----------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound port (known once started)."""
        return self._port

    @property
    def url(self) -> str:
        """The server root, e.g. `http://127.0.0.1:PORT`."""
        return f"http://{self.host}:{self._port}"

    def base_url(self, backend: str) -> str:
        """The base URL a client of `backend` is configured with.

        Fivetran: `{url}/fivetran` (the client adds `/v1/...`); Faraday: `{url}/faraday/v1`;
        hub: `{url}/hub` (the client adds `/api/v1/...`).
        """
        if backend not in self.backends:
            raise KeyError(f"backend {backend!r} is not served; serving {sorted(self.backends)}")
        return f"{self.url}/{backend}{self.backends[backend].base_path}"

    # -- admin helpers (over HTTP, so they work the same against a remote conn-sim) ----------

    def _admin(self, method: str, path: str, body: Any = None) -> Any:
        if self._client is None:
            self._client = httpx.Client(base_url=self.url, timeout=10.0)
        response = self._client.request(method, f"/_sim{path}", json=body)
        response.raise_for_status()
        return response.json()

    def state(self) -> dict[str, Any]:
        """GET /_sim/state: every backend's dump, the clock, faults and rate limit."""
        result: dict[str, Any] = self._admin("GET", "/state")
        return result

    def advance(self, seconds: float) -> dict[str, Any]:
        """Move simulated time forward; returns the clock."""
        result: dict[str, Any] = self._admin("POST", "/clock/advance", {"seconds": seconds})
        return result

    def set_speed(self, speed: float) -> dict[str, Any]:
        """Run simulated time `speed` times faster than real time from now on."""
        result: dict[str, Any] = self._admin("POST", "/clock/speed", {"speed": speed})
        return result

    def set_faults(self, plan: FaultPlan | Mapping[str, Any]) -> dict[str, Any]:
        """Replace the fault plan (a `FaultPlan` or its JSON form)."""
        body = plan.as_dict() if isinstance(plan, FaultPlan) else dict(plan)
        body.pop("fired", None)
        result: dict[str, Any] = self._admin("PUT", "/faults", body)
        return result

    def clear_faults(self) -> None:
        """Remove every fault rule."""
        self._admin("DELETE", "/faults")

    def set_rate_limit(self, rate_limit: RateLimit | None) -> None:
        """Set (or with None, switch off) the per-key rate limit."""
        if rate_limit is None:
            self._admin("DELETE", "/rate-limit")
        else:
            self._admin("PUT", "/rate-limit", rate_limit.as_dict())

    def reset(self) -> None:
        """Forget resources, counters, faults and rate-limit buckets."""
        self._admin("POST", "/reset")

    def request_counts(self) -> list[dict[str, Any]]:
        """Rows of {backend, method, route, status, count}."""
        rows: list[dict[str, Any]] = self._admin("GET", "/requests")["requests"]
        return rows

    def count(self, backend: str, method: str, route: str, status: int | None = None) -> int:
        """How many requests reached `route`, a template like `/v1/connections/{connectionId}`."""
        return sum(
            row["count"]
            for row in self.request_counts()
            if row["backend"] == backend
            and row["method"] == method
            and row["route"] == route
            and (status is None or row["status"] == status)
        )
