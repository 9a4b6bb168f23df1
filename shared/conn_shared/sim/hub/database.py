"""The small, deterministic database every schema-capable hub connection exposes.

Three user tables (`public.customers`, `public.orders`, `analytics.daily_revenue`)
and two system tables (`information_schema.tables`, `information_schema.columns`,
listed only when system schemas are asked for). The rows are computed, not
random, so every run and every connection shows the same data.
"""

import re
from dataclasses import dataclass
from typing import Any

__all__ = ["SYSTEM_SCHEMAS", "Column", "Table", "find_table", "list_tables", "normalize"]

SYSTEM_SCHEMAS = frozenset({"information_schema"})


@dataclass(frozen=True)
class Column:
    """A column: its name as the source spells it, type, nullability and key flag."""

    name: str
    data_type: str
    nullable: bool = True
    primary_key: bool = False

    def to_json(self) -> dict[str, Any]:
        """The hub's column object."""
        return {
            "name": self.name,
            "normalizedName": normalize(self.name),
            "dataType": self.data_type,
            "nullable": self.nullable,
            "primaryKey": self.primary_key,
        }


@dataclass(frozen=True)
class Table:
    """A table and its rows (each row a dict keyed by column name)."""

    schema: str
    name: str
    columns: tuple[Column, ...]
    rows: tuple[dict[str, Any], ...]

    def to_json(self) -> dict[str, Any]:
        """The hub's table-list entry."""
        return {
            "schema": self.schema,
            "table": self.name,
            "normalizedName": normalize(self.name),
            "spec": f"{self.schema}.{self.name}",
        }


def normalize(name: str) -> str:
    """Lower snake case: how the hub names a source object in its own tables."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


_FIRST = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald")
_LAST = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth")
_COUNTRIES = ("US", "CA", "GB", "DE")
_SOURCES = ("web", "referral", "ads", None)
_STATUSES = ("paid", "paid", "refunded", "pending", "paid")


def _customers() -> Table:
    rows = []
    for i in range(12):
        first, last = _FIRST[i % 6], _LAST[(i * 5) % 6]
        rows.append(
            {
                "id": i + 1,
                "email": f"{first.lower()}.{last.lower()}{i + 1}@example.com",
                "name": f"{first} {last}",
                "country": _COUNTRIES[i % 4],
                "Signup Source": _SOURCES[i % 4],
                "created_at": f"2026-01-{i + 1:02d}T09:00:00Z",
            }
        )
    columns = (
        Column("id", "integer", nullable=False, primary_key=True),
        Column("email", "text", nullable=False),
        Column("name", "text"),
        Column("country", "text"),
        Column("Signup Source", "text"),
        Column("created_at", "timestamp", nullable=False),
    )
    return Table("public", "customers", columns, tuple(rows))


def _orders() -> Table:
    rows = [
        {
            "id": i,
            "customer_id": (i * 7) % 12 + 1,
            "amount": round(10 + (i * 37) % 200 + 0.99, 2),
            "status": _STATUSES[i % 5],
            "ordered_at": f"2026-02-{i % 28 + 1:02d}T12:{i:02d}:00Z",
        }
        for i in range(1, 26)
    ]
    columns = (
        Column("id", "integer", nullable=False, primary_key=True),
        Column("customer_id", "integer", nullable=False),
        Column("amount", "numeric", nullable=False),
        Column("status", "text", nullable=False),
        Column("ordered_at", "timestamp", nullable=False),
    )
    return Table("public", "orders", columns, tuple(rows))


def _daily_revenue() -> Table:
    rows = [
        {"day": f"2026-03-{d:02d}", "orders": 3 + d % 4, "revenue": round(250.5 * d, 2)}
        for d in range(1, 8)
    ]
    columns = (
        Column("day", "date", nullable=False, primary_key=True),
        Column("orders", "integer", nullable=False),
        Column("revenue", "numeric", nullable=False),
    )
    return Table("analytics", "daily_revenue", columns, tuple(rows))


def _system(user: list[Table]) -> list[Table]:
    tables = Table(
        "information_schema",
        "tables",
        (
            Column("table_schema", "text"),
            Column("table_name", "text"),
            Column("table_type", "text"),
        ),
        tuple(
            {"table_schema": t.schema, "table_name": t.name, "table_type": "BASE TABLE"}
            for t in user
        ),
    )
    columns = Table(
        "information_schema",
        "columns",
        (
            Column("table_schema", "text"),
            Column("table_name", "text"),
            Column("column_name", "text"),
            Column("data_type", "text"),
            Column("is_nullable", "text"),
        ),
        tuple(
            {
                "table_schema": t.schema,
                "table_name": t.name,
                "column_name": c.name,
                "data_type": c.data_type,
                "is_nullable": "YES" if c.nullable else "NO",
            }
            for t in user
            for c in t.columns
        ),
    )
    return [tables, columns]


_USER_TABLES = [_customers(), _orders(), _daily_revenue()]
_ALL_TABLES = _USER_TABLES + _system(_USER_TABLES)


def list_tables(*, include_system: bool) -> list[Table]:
    """Every table, in schema then name order; system schemas only when asked for."""
    found = [t for t in _ALL_TABLES if include_system or t.schema not in SYSTEM_SCHEMAS]
    return sorted(found, key=lambda t: (t.schema, t.name))


def find_table(schema: str, name: str) -> Table | None:
    """The table `schema.name` (exact spelling first, then case-insensitive)."""
    for table in _ALL_TABLES:
        if table.schema == schema and table.name == name:
            return table
    for table in _ALL_TABLES:
        if table.schema.lower() == schema.lower() and table.name.lower() == name.lower():
            return table
    return None
