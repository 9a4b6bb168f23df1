"""A tiny read-only SQL engine over the hub's fake tables (database.py).

Grammar (keywords in any case, one statement, optional trailing `;`):

    SELECT [DISTINCT] * | column [AS alias] [, ...]
    FROM [schema.]table                      -- schema defaults to "public"
    [WHERE condition [AND condition ...]]    -- column op literal | column IS [NOT] NULL
    [ORDER BY column [ASC|DESC] [, ...]]
    [LIMIT n]

`op` is one of = != <> < <= > >=; literals are numbers, 'strings' or NULL.
Identifiers are bare (matched case-insensitively) or "double quoted" (exact).
Anything else raises `SqlError`, whose message the hub returns in a 422.
"""

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from conn_shared.sim.hub.database import Column, Table, find_table

__all__ = ["QueryResult", "SqlError", "run_query"]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^']|'')*')
      | (?P<quoted>"(?:[^"]|"")+")
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<word>[A-Za-z_][A-Za-z0-9_$]*)
      | (?P<symbol><=|>=|<>|!=|[=<>,.*;()])
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"select", "distinct", "from", "where", "and", "order", "by", "asc", "desc", "limit"}
_KEYWORDS |= {"is", "not", "null", "as"}


class SqlError(ValueError):
    """The statement is not one the hub can run."""


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str

    def keyword(self, word: str) -> bool:
        return self.kind == "word" and self.text.lower() == word


@dataclass(frozen=True)
class QueryResult:
    """The statement's output: column names, rows, and the tables it read."""

    columns: list[str]
    rows: list[dict[str, Any]]
    tables: list[Table]


def _tokenize(sql: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    text = sql.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise SqlError(f"Syntax error near {text[position : position + 20]!r}")
        kind = match.lastgroup
        assert kind is not None
        tokens.append(_Token(kind, match.group(kind)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.at = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise SqlError("Unexpected end of statement")
        self.at += 1
        return token

    def accept(self, word: str) -> bool:
        token = self.peek()
        if token is not None and (token.keyword(word) or token.text == word):
            self.at += 1
            return True
        return False

    def expect(self, word: str) -> None:
        if not self.accept(word):
            found = self.peek()
            raise SqlError(f"Expected {word.upper()} but found {found.text if found else 'end'!r}")

    def identifier(self) -> tuple[str, bool]:
        """An identifier and whether it was quoted (quoted ones match exactly)."""
        token = self.take()
        if token.kind == "quoted":
            return token.text[1:-1].replace('""', '"'), True
        if token.kind == "word" and token.text.lower() not in _KEYWORDS:
            return token.text, False
        raise SqlError(f"Expected an identifier but found {token.text!r}")

    def literal(self) -> Any:
        token = self.take()
        if token.kind == "string":
            return token.text[1:-1].replace("''", "'")
        if token.kind == "number":
            return float(token.text) if "." in token.text else int(token.text)
        if token.keyword("null"):
            return None
        raise SqlError(f"Expected a literal but found {token.text!r}")


def _resolve(table: Table, name: str, quoted: bool) -> Column:
    for column in table.columns:
        if column.name == name or (not quoted and column.name.lower() == name.lower()):
            return column
    raise SqlError(f"Column {name!r} does not exist in {table.schema}.{table.name}")


_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<>": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _compare(left: Any, op: str, right: Any) -> bool:
    # SQL semantics: any comparison with NULL is unknown, which filters the row out.
    if left is None or right is None:
        return False
    try:
        return bool(_COMPARE[op](left, right))
    except TypeError:
        raise SqlError(f"Cannot compare {left!r} with {right!r}") from None


def _select_list(p: _Parser) -> list[tuple[str, bool, str]] | None:
    """The picked columns as (name, quoted, alias), or None for `*`."""
    if p.accept("*"):
        return None
    picks = []
    while True:
        name, quoted = p.identifier()
        alias = p.identifier()[0] if p.accept("as") else name
        picks.append((name, quoted, alias))
        if not p.accept(","):
            return picks


def _from(p: _Parser) -> Table:
    p.expect("from")
    first, _ = p.identifier()
    schema, table_name = ("public", first)
    if p.accept("."):
        schema, table_name = first, p.identifier()[0]
    table = find_table(schema, table_name)
    if table is None:
        raise SqlError(f"Table {schema}.{table_name} does not exist")
    return table


def _where(p: _Parser, table: Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not p.accept("where"):
        return rows
    while True:
        column = _resolve(table, *p.identifier())
        if p.accept("is"):
            negate = p.accept("not")
            p.expect("null")
            rows = [r for r in rows if (r[column.name] is None) != negate]
        else:
            op = p.take().text
            if op not in _COMPARE:
                raise SqlError(f"Unsupported operator {op!r}")
            value = p.literal()
            rows = [r for r in rows if _compare(r[column.name], op, value)]
        if not p.accept("and"):
            return rows


def _order_by(p: _Parser, table: Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not p.accept("order"):
        return rows
    p.expect("by")
    keys: list[tuple[str, bool]] = []
    while True:
        column = _resolve(table, *p.identifier())
        descending = p.accept("desc")
        if not descending:
            p.accept("asc")
        keys.append((column.name, descending))
        if not p.accept(","):
            break
    # Stable sorts applied last key first give a multi-key order; NULLs sort last.
    for name, descending in reversed(keys):
        present = [r for r in rows if r[name] is not None]
        nulls = [r for r in rows if r[name] is None]
        present.sort(key=lambda r: r[name], reverse=descending)
        rows = present + nulls
    return rows


def _limit(p: _Parser) -> int | None:
    if not p.accept("limit"):
        return None
    token = p.take()
    if token.kind != "number" or not token.text.isdigit():
        raise SqlError("LIMIT takes a non-negative integer")
    return int(token.text)


def run_query(sql: str) -> QueryResult:
    """Run one SELECT over the fake tables; raise `SqlError` for anything else."""
    tokens = _tokenize(sql)
    if tokens and tokens[-1].text == ";":
        tokens.pop()
    if any(t.text == ";" for t in tokens):
        raise SqlError("Only a single statement is allowed")
    if not tokens or not tokens[0].keyword("select"):
        raise SqlError("Only SELECT statements are allowed")
    p = _Parser(tokens)
    p.expect("select")
    distinct = p.accept("distinct")
    picks = _select_list(p)
    table = _from(p)
    rows = _order_by(p, table, _where(p, table, [dict(row) for row in table.rows]))
    limit = _limit(p)
    if p.peek() is not None:
        raise SqlError(f"Unexpected {p.take().text!r}")
    if picks is None:
        names = [(c.name, c.name) for c in table.columns]
    else:
        names = [(_resolve(table, name, quoted).name, alias) for name, quoted, alias in picks]
    projected = [{alias: row[name] for name, alias in names} for row in rows]
    if distinct:
        unique: list[dict[str, Any]] = []
        for row in projected:
            if row not in unique:
                unique.append(row)
        projected = unique
    if limit is not None:
        projected = projected[:limit]
    return QueryResult([alias for _, alias in names], projected, [table])
