"""Validate request and response bodies against the vendors' OpenAPI definitions.

The definitions are the structure-only copies in ``tests/specs/`` (see its SOURCES.md), so the
client tests and the simulator tests check their traffic against the same claims without
trusting each other. Schemas are checked with OpenAPI 3.0 semantics (``nullable``, formats,
discriminators, readOnly/writeOnly) by openapi-schema-validator; ``$ref``s resolve through a
``referencing`` registry holding the whole document.

Paths are written as the spec writes them: Fivetran's include ``/v1`` (server
``https://api.fivetran.com``), Faraday's do not (server ``https://api.faraday.ai/v1``).

Example::

    spec = SpecValidator.load("fivetran")
    spec.validate_response("GET", "/v1/connections/abc", 200, body)
"""

from __future__ import annotations

import copy
import difflib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from jsonschema.exceptions import ValidationError, best_match
from jsonschema.protocols import Validator
from openapi_schema_validator import (
    OAS30ReadValidator,
    OAS30WriteValidator,
    oas30_format_checker,
)
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SPECS_DIR = Path(__file__).resolve().parent.parent / "specs"
SpecName = Literal["fivetran", "faraday"]
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
_MISSING: Any = object()


class SpecViolation(AssertionError):  # noqa: N818 - the name other helpers code against
    """A body does not match the spec; ``errors`` lists each problem with its JSON path."""

    def __init__(self, summary: str, errors: list[str]) -> None:
        self.errors = errors
        super().__init__(summary + "".join(f"\n  - {error}" for error in errors))


@dataclass(frozen=True)
class Relaxation:
    """One documented difference between a definition and the vendor's real traffic."""

    schema: str
    field: str
    change: Literal["integer_or_enum_string", "nullable", "optional", "any_json", "any_values"]


# Where the Fivetran definition and real responses disagree (tests/specs/SOURCES.md). These,
# and only these, are relaxed; each entry checks the definition still says what we relax.
FIVETRAN_RELAXATIONS = (
    # Declared integer with a string enum, which nothing satisfies; real responses send 360.
    Relaxation("ConnectorResponseV1", "sync_frequency", "integer_or_enum_string"),
    Relaxation("NewConnectorRequestV1", "sync_frequency", "integer_or_enum_string"),
    Relaxation("UpdateConnectorRequest", "sync_frequency", "integer_or_enum_string"),
    # A connection that never synced has no last success/failure timestamp: null.
    Relaxation("ConnectorResponse", "succeeded_at", "nullable"),
    Relaxation("ConnectorResponse", "failed_at", "nullable"),
    Relaxation("ConnectorResponseV1", "succeeded_at", "nullable"),
    Relaxation("ConnectorResponseV1", "failed_at", "nullable"),
    # Declared required, yet absent from some real responses.
    Relaxation("ConnectorResponse", "schedule_type", "optional"),
    Relaxation("ConnectorResponseV1", "schedule_type", "optional"),
    Relaxation("ConnectorResponseV1", "data_delay_sensitivity", "optional"),
    # Declared an object, but real details (and the definition's own example) are strings too.
    Relaxation("SetupTestResultResponse", "details", "any_json"),
    # A list item's config declares every value an object; real values are strings, numbers.
    Relaxation("ConnectorResponse", "config", "any_values"),
)
RELAXATIONS: Mapping[str, tuple[Relaxation, ...]] = {
    "fivetran": FIVETRAN_RELAXATIONS,
    "faraday": (),
}


def apply_relaxations(spec: dict[str, Any], relaxations: tuple[Relaxation, ...]) -> None:
    """Relax ``spec`` in place; raise ValueError if a relaxation no longer fits the spec."""
    schemas = spec["components"]["schemas"]
    for item in relaxations:
        schema = schemas[item.schema]
        declared = schema["properties"][item.field]
        where = f"{item.schema}.{item.field}"
        if item.change == "integer_or_enum_string":
            enum = declared.get("enum", [])
            if declared.get("type") != "integer" or not all(isinstance(v, str) for v in enum):
                raise ValueError(f"{where} is no longer an integer with a string enum")
            relaxed: dict[str, Any] = {
                "anyOf": [
                    {"type": "integer", "enum": [int(value) for value in enum]},
                    {"type": "string", "enum": enum},
                ],
            }
            schema["properties"][item.field] = relaxed | _example_of(declared)
        elif item.change == "nullable":
            if declared.get("nullable"):
                raise ValueError(f"{where} is already nullable")
            declared["nullable"] = True
        elif item.change == "optional":
            if item.field not in schema.get("required", []):
                raise ValueError(f"{where} is no longer required")
            schema["required"] = [name for name in schema["required"] if name != item.field]
        elif item.change == "any_values":
            if declared.get("type") != "object" or "additionalProperties" not in declared:
                raise ValueError(f"{where} is no longer an object with typed values")
            declared.pop("additionalProperties")
        else:
            if declared.get("type") != "object":
                raise ValueError(f"{where} is no longer declared an object")
            schema["properties"][item.field] = _example_of(declared)


def _example_of(schema: Mapping[str, Any]) -> dict[str, Any]:
    # Relaxed schemas keep their example: the assembled examples are built from them.
    return {key: value for key, value in schema.items() if key == "example"}


@dataclass(frozen=True)
class Operation:
    """One operation of the spec: its method, path template and OpenAPI objects."""

    method: str
    path: str
    operation_id: str | None
    parameters: tuple[dict[str, Any], ...]
    request_body: dict[str, Any] | None
    responses: dict[str, Any]
    pointer: str = field(repr=False)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class ResponseExample:
    """An example response body from the spec.

    ``status`` is an int for an exact code, else the spec's key (``"2XX"``, ``"default"``).
    ``source`` is ``"example"``, ``"examples:<name>"`` or ``"assembled"`` (built from the
    ``example`` values on the schema's properties, the way the vendor's docs render them).
    """

    method: str
    path: str
    status: int | str
    body: Any
    source: str

    @property
    def id(self) -> str:
        """A readable pytest id."""
        return f"{self.method} {self.path} {self.status} {self.source}"


@dataclass(frozen=True)
class RequestExample:
    """An example request body from the spec; ``source`` as for ResponseExample."""

    method: str
    path: str
    body: Any
    source: str

    @property
    def id(self) -> str:
        """A readable pytest id."""
        return f"{self.method} {self.path} {self.source}"


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _path_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}/]+\})", template)
    return re.compile(
        "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts)
    )


def _literal_segments(template: str) -> int:
    return sum(1 for segment in template.split("/") if segment and "{" not in segment)


def _json_media(content: Mapping[str, Any]) -> str | None:
    if "application/json" in content:
        return "application/json"
    return next((media for media in sorted(content) if "json" in media), None)


def _status_key(responses: Mapping[str, Any], status: int) -> str | None:
    for key in (str(status), f"{status // 100}XX", f"{status // 100}xx", "default"):
        if key in responses:
            return key
    return None


class SpecValidator:
    """Validates bodies against one vendor's spec; build it with :meth:`load`."""

    _cache: ClassVar[dict[str, SpecValidator]] = {}

    def __init__(self, name: str, spec: dict[str, Any]) -> None:
        self.name = name
        self.spec = spec
        self.server_url: str = spec["servers"][0]["url"]
        self._uri = f"urn:conn-providers:spec:{name}"
        self._registry: Registry[Any] = Registry().with_resource(
            self._uri, Resource.from_contents(spec, default_specification=DRAFT4)
        )
        self._validators: dict[tuple[str, bool], Validator] = {}
        self._templates = [(path, _path_regex(path)) for path in spec["paths"]]

    @classmethod
    def load(cls, name: SpecName) -> SpecValidator:
        """Return the (cached) validator for ``name``, with its documented relaxations."""
        if name not in cls._cache:
            spec = json.loads((SPECS_DIR / f"{name}-connections.json").read_text("utf-8"))
            apply_relaxations(spec, RELAXATIONS[name])
            cls._cache[name] = cls(name, spec)
        return cls._cache[name]

    def operations(self) -> Iterator[Operation]:
        """Yield every operation, in path then method order."""
        for path in sorted(self.spec["paths"]):
            for method in HTTP_METHODS:
                if method in self.spec["paths"][path]:
                    yield self._operation(path, method)

    def _operation(self, template: str, method: str) -> Operation:
        item = self.spec["paths"][template]
        raw = item[method]
        return Operation(
            method=method.upper(),
            path=template,
            operation_id=raw.get("operationId"),
            parameters=tuple(item.get("parameters", [])) + tuple(raw.get("parameters", [])),
            request_body=raw.get("requestBody"),
            responses=raw.get("responses", {}),
            pointer=f"/paths/{_escape(template)}/{method}",
        )

    def operation(self, method: str, path: str) -> Operation:
        """Find the operation for ``method`` on a concrete path or a template.

        Query strings are ignored; a literal segment beats a parameter. Raises LookupError
        naming the closest known paths (or the methods a matched path does define).
        """
        wanted = path.split("?", 1)[0]
        lowered = method.lower()
        matches = sorted(
            (template for template, regex in self._templates if regex.fullmatch(wanted)),
            key=lambda template: (template != wanted, -_literal_segments(template)),
        )
        for template in matches:
            if lowered in self.spec["paths"][template]:
                return self._operation(template, lowered)
        if matches:
            defined = sorted(
                {m.upper() for t in matches for m in self.spec["paths"][t] if m in HTTP_METHODS}
            )
            raise LookupError(
                f"{self.name} spec: {method.upper()} is not defined for {wanted} "
                f"(matches {', '.join(matches)}; defined methods: {', '.join(defined)})"
            )
        closest = difflib.get_close_matches(wanted, list(self.spec["paths"]), n=3, cutoff=0.0)
        raise LookupError(
            f"{self.name} spec has no path matching {wanted!r}; closest: {', '.join(closest)} "
            f"(paths are relative to {self.server_url})"
        )

    def _validator(self, pointer: str, *, request: bool) -> Validator:
        key = (pointer, request)
        if key not in self._validators:
            cls = OAS30WriteValidator if request else OAS30ReadValidator
            self._validators[key] = cls(
                {"$ref": f"{self._uri}#{pointer}"},
                registry=self._registry,
                format_checker=oas30_format_checker,
            )
        return self._validators[key]

    def _check(self, pointer: str, body: Any, *, request: bool, summary: str) -> None:
        errors = sorted(
            self._validator(pointer, request=request).iter_errors(body),
            key=lambda error: (error.json_path, error.message),
        )
        if errors:
            raise SpecViolation(summary, [_describe(error) for error in errors])

    def validate_request_body(self, method: str, path: str, body: Any) -> None:
        """Check a JSON request body (``None`` for no body); raise SpecViolation."""
        op = self.operation(method, path)
        summary = f"{self.name} request body for {op} does not match the spec:"
        if op.request_body is None:
            if body is not None:
                raise SpecViolation(summary, ["$: the operation takes no request body"])
            return
        if body is None:
            if op.request_body.get("required"):
                raise SpecViolation(summary, ["$: a request body is required"])
            return
        content = op.request_body.get("content", {})
        media = _json_media(content)
        if media is None:
            raise SpecViolation(summary, [f"$: no JSON media type among {sorted(content)}"])
        pointer = f"{op.pointer}/requestBody/content/{_escape(media)}/schema"
        self._check(pointer, body, request=True, summary=summary)

    def validate_response(self, method: str, path: str, status: int, body: Any) -> None:
        """Check a parsed JSON response (``None`` for an empty one); raise SpecViolation.

        The entry is the exact status, else its range (``2XX``), else ``default``. An entry
        declaring no content makes no claim about the body, except that a 204 has none.
        """
        op = self.operation(method, path)
        summary = f"{self.name} response {status} to {op} does not match the spec:"
        key = _status_key(op.responses, status)
        if key is None:
            raise SpecViolation(
                summary, [f"status {status} is not declared; declared: {sorted(op.responses)}"]
            )
        content = op.responses[key].get("content")
        if not content:
            if status == 204 and body not in (None, "", b""):
                raise SpecViolation(summary, ["$: a 204 response has no body"])
            return
        media = _json_media(content)
        if media is None:
            raise SpecViolation(summary, [f"$: no JSON media type among {sorted(content)}"])
        if body is None:
            raise SpecViolation(summary, [f"$: the spec declares a {media} body"])
        pointer = f"{op.pointer}/responses/{_escape(key)}/content/{_escape(media)}/schema"
        self._check(pointer, body, request=False, summary=summary)

    def response_examples(self) -> Iterator[ResponseExample]:
        """Yield every example response body the spec gives, plus assembled ones."""
        for op in self.operations():
            for key in sorted(op.responses):
                status: int | str = int(key) if key.isdigit() else key
                for source, body in self._media_examples(op.responses[key].get("content")):
                    yield ResponseExample(op.method, op.path, status, body, source)

    def request_examples(self) -> Iterator[RequestExample]:
        """Yield every example request body the spec gives, plus assembled ones."""
        for op in self.operations():
            content = (op.request_body or {}).get("content")
            for source, body in self._media_examples(content):
                yield RequestExample(op.method, op.path, body, source)

    def _media_examples(self, content: Mapping[str, Any] | None) -> Iterator[tuple[str, Any]]:
        media = _json_media(content or {})
        if content is None or media is None:
            return
        entry = content[media]
        if "example" in entry:
            yield "example", copy.deepcopy(entry["example"])
        for name, example in sorted(entry.get("examples", {}).items()):
            if "value" in example:
                yield f"examples:{name}", copy.deepcopy(example["value"])
        assembled = self._assemble(entry.get("schema", {}), frozenset())
        if assembled is not _MISSING:
            yield "assembled", assembled

    def _resolve(self, ref: str) -> Any:
        node: Any = self.spec
        for token in ref.removeprefix("#/").split("/"):
            node = node[token.replace("~1", "/").replace("~0", "~")]
        return node

    def _assemble(self, schema: Mapping[str, Any], seen: frozenset[str]) -> Any:
        """Build a body from ``example`` values, as the vendor docs do; _MISSING if none."""
        if "example" in schema:
            return copy.deepcopy(schema["example"])
        if "$ref" in schema:
            ref = schema["$ref"]
            return _MISSING if ref in seen else self._assemble(self._resolve(ref), seen | {ref})
        for keyword in ("allOf", "oneOf", "anyOf"):
            parts = [self._assemble(part, seen) for part in schema.get(keyword, [])]
            parts = [part for part in parts if part is not _MISSING]
            if parts and keyword == "allOf" and all(isinstance(p, dict) for p in parts):
                return {key: value for part in parts for key, value in part.items()}
            if parts:
                return parts[0]
        if "properties" in schema:
            built = {name: self._assemble(sub, seen) for name, sub in schema["properties"].items()}
            built = {name: value for name, value in built.items() if value is not _MISSING}
            return built or _MISSING
        if "items" in schema:
            item = self._assemble(schema["items"], seen)
            return _MISSING if item is _MISSING else [item]
        return _MISSING


def _describe(error: ValidationError) -> str:
    text = f"{error.json_path}: {error.message}"
    if error.context:
        closest = best_match(error.context)
        if closest is not None:
            text += f" (closest: {closest.json_path}: {closest.message})"
    return text
