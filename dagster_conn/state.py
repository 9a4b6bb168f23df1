"""Stored state: what the vendors say about the declared connections, fetched on request.

Loading definitions must not call any API, so the tables, contents and
datasets of each connection are read in a separate refresh step and stored as
JSON; the definitions are then built from that JSON (or, without it, from the
declarations alone: one asset per connection). The component does this
through Dagster's `StateBackedComponent`; Python code can do the same:

    props = fetch_connection_props(resources={"fivetran": fivetran}, connections=declared)
    Path("connections.json").write_text(dump_connection_props(props))
    ...
    assets = build_connection_assets(
        connections=load_connection_props(Path("connections.json").read_text())
    )
"""

from collections.abc import Mapping, Sequence

from pydantic import TypeAdapter

from conn_shared import PlanAction, backend_entry, get_catalog, plan_connection
from dagster_conn.config import build_spec
from dagster_conn.resources import ConnectionResource
from dagster_conn.translator import ConnectionProps

__all__ = ["dump_connection_props", "fetch_connection_props", "load_connection_props"]

_PROPS = TypeAdapter(list[ConnectionProps])


def fetch_connection_props(
    *,
    resources: Mapping[str, ConnectionResource],
    connections: Sequence[ConnectionProps],
) -> list[ConnectionProps]:
    """Each connection with its id, UI link, tables, contents and datasets, read now.

    `resources` maps a backend name to its resource. GETs only: a connection
    given by spec is looked up (`plan_connection`), then read (`get_catalog`:
    Fivetran's schema config, the hub's schema tables, Faraday's contents and
    datasets). A connection that does not exist yet is returned unchanged.
    Raises `dg.Failure` for API errors (bad credentials, ...) and KeyError
    naming a backend without a resource.
    """
    fetched = []
    for connection in connections:
        if connection.backend not in resources:
            raise KeyError(f"resources: no resource for backend {connection.backend!r}")
        resource = resources[connection.backend]
        backend = resource.get_backend()
        connection_id = connection.connection_id
        if connection_id is None:
            assert connection.spec is not None
            entry = backend_entry(connection.backend)
            spec, hide = build_spec(entry, connection.spec, connection.secrets)
            plan = resource.run(plan_connection(backend, spec), hide=hide)
            if plan.action is PlanAction.CREATE:
                fetched.append(connection)
                continue
            connection_id = plan.connection_id
        assert connection_id is not None
        catalog = resource.run(get_catalog(backend, connection_id))
        fetched.append(
            connection.model_copy(
                update={
                    "connection_id": connection_id,
                    "url": resource.connection_url(connection_id),
                    "tables": catalog.tables,
                    "contents": catalog.contents,
                    "datasets": catalog.datasets,
                }
            )
        )
    return fetched


def dump_connection_props(props: Sequence[ConnectionProps]) -> str:
    """The records as a JSON array (no secret values: only environment variable names)."""
    return _PROPS.dump_json(list(props), indent=2).decode()


def load_connection_props(text: str) -> list[ConnectionProps]:
    """The records of `dump_connection_props` output; pydantic's ValidationError if malformed."""
    return _PROPS.validate_json(text)
