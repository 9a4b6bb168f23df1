"""The backend registry: one place that maps a backend name to its classes and capabilities.

    entry = backend_entry("fivetran")       # UnknownBackendError names the allowed names
    backend = entry.build(api_key="...", api_secret="...")
    spec = entry.spec_class(group_id="g", service="postgres", schema_name="shop")
    Step.RESYNC in entry.capabilities

The demo, the simulator's users, the Airflow hooks and the Dagster resources find
backends here, never through a name switch of their own.

Adding a fourth vendor: copy one vendor folder (`backends/hub/`, say) to
`backends/<vendor>/`, give its files the new vendor's settings, models, spec,
errors, calls, states and backend, and add its backend class to `_REGISTERED`
below. The entry (settings class, spec class, capabilities) is read off the
class's attributes.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from conn_shared.backends.base import BackendSettings, BaseBackend
from conn_shared.backends.faraday import FaradayBackend
from conn_shared.backends.fivetran import FivetranBackend
from conn_shared.backends.hub import HubBackend
from conn_shared.errors import UnknownBackendError
from conn_shared.states import Step

__all__ = ["BACKENDS", "BackendEntry", "backend_entry", "backend_names"]

AnyBackend = BaseBackend[Any, Any, Any]

#: Every backend this package ships, one line each.
_REGISTERED: tuple[type[AnyBackend], ...] = (
    FivetranBackend,
    FaradayBackend,
    HubBackend,
)


@dataclass(frozen=True)
class BackendEntry:
    """One registered backend: its name, classes and the lifecycle steps it supports."""

    name: str
    backend_class: type[AnyBackend]
    settings_class: type[BackendSettings]
    spec_class: type[Any]
    capabilities: frozenset[Step]

    @classmethod
    def of(cls, backend_class: type[AnyBackend]) -> "BackendEntry":
        """The entry a backend class describes through its class attributes."""
        return cls(
            name=backend_class.name,
            backend_class=backend_class,
            settings_class=backend_class.settings_class,
            spec_class=backend_class.spec_class,
            capabilities=backend_class.capabilities,
        )

    def build(self, settings: BackendSettings | None = None, **fields: Any) -> AnyBackend:
        """A backend from a settings object or its fields as keywords (not both).

        Sends nothing. Raises ValueError for both or for invalid fields (pydantic's
        ValidationError), TypeError for settings of another backend's class.
        """
        return self.backend_class(settings, **fields)


def _index(classes: tuple[type[AnyBackend], ...]) -> Mapping[str, BackendEntry]:
    entries: dict[str, BackendEntry] = {}
    for backend_class in classes:
        if backend_class.name in entries:
            raise RuntimeError(f"two backends are registered as {backend_class.name!r}")
        entries[backend_class.name] = BackendEntry.of(backend_class)
    return MappingProxyType(entries)


#: name -> entry, read-only, in registration order.
BACKENDS: Mapping[str, BackendEntry] = _index(_REGISTERED)


def backend_names() -> tuple[str, ...]:
    """The registered names, in registration order: ("fivetran", "faraday", "hub")."""
    return tuple(BACKENDS)


def backend_entry(name: str) -> BackendEntry:
    """The registered backend called `name`.

    Raises UnknownBackendError (a ValueError) naming the allowed names when there is none.
    """
    entry = BACKENDS.get(name) if isinstance(name, str) else None
    if entry is None:
        raise UnknownBackendError(name, tuple(BACKENDS))
    return entry
