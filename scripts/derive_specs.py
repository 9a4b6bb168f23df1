"""Derive the structure-only vendor specs under tests/specs/ from the team's spec folder.

The tests validate requests and responses against the Fivetran and Faraday OpenAPI
definitions, but a clone of this repository has no access to the team folder they come from.
This script keeps only what validation needs (names, types, constraints, status codes, content
types, examples), drops the prose, and writes deterministic JSON so a re-run gives identical
bytes. ``--check`` reports drift instead of writing.

Usage::

    python scripts/derive_specs.py [SPECS_DIR] [--check]

SPECS_DIR defaults to ``../shared/specs`` relative to the repository root.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = REPO_ROOT / "tests" / "specs"
DEFAULT_SPECS_DIR = REPO_ROOT.parent / "shared" / "specs"
SCHEMA_REF_PREFIX = "#/components/schemas/"

# Annotation keywords that carry only prose (or grouping labels) and no structure.
PROSE_KEYS = frozenset({"description", "summary", "title", "externalDocs", "tags"})
# Keys whose value is a map from a name (property, path, status code, media type, ...) to an
# object: the names are data and must never be mistaken for keywords.
NAME_MAP_KEYS = frozenset(
    {
        "properties",
        "patternProperties",
        "paths",
        "responses",
        "content",
        "schemas",
        "securitySchemes",
        "headers",
        "encoding",
        "variables",
        "links",
        "callbacks",
        "parameters",  # only a map under components; a list elsewhere (handled by type)
        "requestBodies",
    }
)
# Keys whose value is data, copied verbatim.
LITERAL_KEYS = frozenset({"example", "default", "enum", "required", "mapping", "security"})


@dataclass(frozen=True)
class Source:
    """One derived file: where its input lives and which paths it keeps."""

    output: str
    input: str
    fallback: str | None
    path_prefixes: tuple[str, ...]
    title: str


SOURCES = (
    Source(
        output="fivetran-connections.json",
        input="fivetran/fivetran-connections-subset.openapi.json",
        fallback="fivetran/fivetran-open-api-definition.json",
        path_prefixes=("/v1/connections", "/v1/users", "/v1/groups"),
        title="Fivetran REST API v1, connections (structure only, derived)",
    ),
    Source(
        output="faraday-connections.json",
        input="faraday/faraday-connections-datasets.reconstructed.openapi.json",
        fallback=None,
        path_prefixes=("/connections", "/datasets"),
        title="Faraday API v1, connections and datasets (structure only, derived)",
    ),
)


def strip_prose(node: Any) -> Any:
    """Return ``node`` (any OpenAPI object) without prose keys or ``x-`` extensions."""
    if isinstance(node, list):
        return [strip_prose(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in PROSE_KEYS or key.startswith("x-"):
            continue
        if key in LITERAL_KEYS:
            out[key] = copy.deepcopy(value)
        elif key == "examples" and isinstance(value, dict):
            out[key] = {name: _strip_example(example) for name, example in value.items()}
        elif key in NAME_MAP_KEYS and isinstance(value, dict):
            out[key] = {name: strip_prose(item) for name, item in value.items()}
        else:
            out[key] = strip_prose(value)
    return out


def _strip_example(example: Any) -> Any:
    if not isinstance(example, dict):
        return copy.deepcopy(example)
    # An Example object: its value is data, everything else is prose or a reference.
    return {
        key: copy.deepcopy(value)
        for key, value in example.items()
        if key in ("value", "externalValue", "$ref")
    }


def iter_refs(node: Any) -> Iterator[str]:
    """Yield every ``$ref`` string and discriminator mapping target inside ``node``."""
    if isinstance(node, list):
        for item in node:
            yield from iter_refs(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            elif key == "discriminator" and isinstance(value, dict):
                yield from value.get("mapping", {}).values()
            elif key not in ("example", "examples", "enum", "default"):
                yield from iter_refs(value)


def reached_schemas(
    roots: Iterable[Any], schemas: dict[str, Any], fallback: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """Collect the component schemas reachable from ``roots``.

    Returns the schemas and the names that had to come from ``fallback`` (the full definition).
    """
    found: dict[str, Any] = {}
    from_fallback: list[str] = []
    pending = [ref for root in roots for ref in iter_refs(root)]
    while pending:
        ref = pending.pop()
        if not ref.startswith(SCHEMA_REF_PREFIX):
            raise ValueError(f"unsupported $ref {ref!r}: only component schemas are expected")
        name = ref[len(SCHEMA_REF_PREFIX) :]
        if name in found:
            continue
        if name in schemas:
            found[name] = schemas[name]
        elif name in fallback:
            found[name] = fallback[name]
            from_fallback.append(name)
        else:
            raise KeyError(f"schema {name!r} is referenced but defined nowhere")
        pending.extend(iter_refs(found[name]))
    return found, sorted(from_fallback)


@dataclass(frozen=True)
class Derived:
    """A derived document plus the facts SOURCES.md reports about it."""

    source: Source
    document: dict[str, Any]
    input_sha256: str
    fallback_sha256: str | None
    paths_from_fallback: list[str]
    schemas_from_fallback: list[str]


def derive(specs_dir: Path, source: Source) -> Derived:
    """Build the structure-only document for ``source``."""
    raw_bytes = (specs_dir / source.input).read_bytes()
    raw = json.loads(raw_bytes)
    fallback: dict[str, Any] = {}
    fallback_sha = None
    if source.fallback is not None:
        fallback_bytes = (specs_dir / source.fallback).read_bytes()
        fallback = json.loads(fallback_bytes)
        fallback_sha = hashlib.sha256(fallback_bytes).hexdigest()

    def keep(path: str) -> bool:
        return any(path == p or path.startswith(p + "/") for p in source.path_prefixes)

    paths = {path: item for path, item in raw["paths"].items() if keep(path)}
    paths_from_fallback = sorted(
        path for path in fallback.get("paths", {}) if keep(path) and path not in paths
    )
    for path in paths_from_fallback:
        paths[path] = fallback["paths"][path]

    schemas, schemas_from_fallback = reached_schemas(
        paths.values(),
        raw.get("components", {}).get("schemas", {}),
        fallback.get("components", {}).get("schemas", {}),
    )
    security_names = {
        name for requirement in _security_requirements(raw, paths) for name in requirement
    }
    schemes = raw.get("components", {}).get("securitySchemes", {})
    components: dict[str, Any] = {"schemas": schemas}
    if security_names:
        components["securitySchemes"] = {name: schemes[name] for name in sorted(security_names)}

    document: dict[str, Any] = strip_prose(
        {
            "openapi": raw["openapi"],
            "servers": raw.get("servers", []),
            "paths": paths,
            "components": components,
        }
    )
    # Our own label replaces the vendor's title, which strip_prose would drop.
    document["info"] = {"title": source.title, "version": raw["info"]["version"]}
    if "security" in raw:
        document["security"] = raw["security"]
    return Derived(
        source=source,
        document=document,
        input_sha256=hashlib.sha256(raw_bytes).hexdigest(),
        fallback_sha256=fallback_sha,
        paths_from_fallback=paths_from_fallback,
        schemas_from_fallback=schemas_from_fallback,
    )


def _security_requirements(raw: dict[str, Any], paths: dict[str, Any]) -> Iterator[Any]:
    yield from raw.get("security", [])
    for item in paths.values():
        for operation in item.values():
            if isinstance(operation, dict):
                yield from operation.get("security", [])


def render_json(document: dict[str, Any]) -> str:
    """Serialize deterministically: sorted keys, one-space indent, trailing newline."""
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def count_operations(document: dict[str, Any]) -> int:
    """Count the HTTP operations (not path-level parameters) in ``document``."""
    methods = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
    return sum(1 for item in document["paths"].values() for method in item if method in methods)


# Provenance facts from the team's specs/SOURCES.md; the script checks the hashes it reads.
PROVENANCE = {
    "fivetran-connections.json": (
        "- Source repository: `github.com/fivetran/fivetran-mcp` (Fivetran's official MCP"
        " server), licence **MIT**.\n"
        "- The full definition `fivetran-open-api-definition.json` was last changed there in"
        " commit `ad8274cf1cd14b50c321640c9ce87ab640d23073`; repository HEAD when copied:"
        " `30c915369845dcc7445d64514daab7154c6ca025`.\n"
        "- The input is the team's mechanical subset of that definition (all `/v1/connections*`"
        " paths and the schemas they reach; the `discriminator.mapping` lists of"
        " `NewConnectorRequestV1` and `ConnectorResponseV1`, pointing at ~800 per-service"
        " config schemas, were dropped, so `config` and `auth` stay free-form objects).\n"
        "- Server: `https://api.fivetran.com`; spec paths carry the `/v1` prefix."
    ),
    "faraday-connections.json": (
        "- Source repository: `github.com/faradayio/faraday-js`, commit"
        " `0c6ff42e0425f348ef605ba05da6cca13803e156`, licence **MIT**.\n"
        "- RECONSTRUCTED, not Faraday's official `api.json`: schema facts were read from the"
        " openapi-generator TypeScript client (`src/apis/ConnectionsApi.ts`,"
        " `src/apis/DatasetsApi.ts`, `src/models/index.ts`). Schema `format`s (uuid, date-time)"
        " and `pattern`s were lost; non-2xx status codes come from Faraday's public reference"
        " pages; archive and unarchive answer `2XX` because the exact code is unconfirmed.\n"
        "- Server: `https://api.faraday.ai/v1`; spec paths carry no `/v1` prefix."
    ),
}

RELAXATIONS_MD = """\
## Where the definitions and real responses disagree

A definition is a claim; a real response is evidence. `tests/support/openapi.py` relaxes the
Fivetran schemas in one place (`FIVETRAN_RELAXATIONS`), for exactly these fields, in requests
and responses alike. Faraday has no relaxations.

- `sync_frequency` is declared `type: integer` with a *string* enum (`"1"` ... `"1440"`), a
  combination no value satisfies; real responses carry an integer (`360`).
  Relaxed in `ConnectorResponseV1`, `NewConnectorRequestV1` and `UpdateConnectorRequest`: any
  enum value, as an integer or as the declared string. (`ConnectorResponse`, used by the list
  operation, already declares a plain integer and is left alone.)
- `succeeded_at` / `failed_at` are non-nullable strings, but a never-synced connection has null.
  Relaxed: `nullable: true` on both, in `ConnectorResponse` and `ConnectorResponseV1`.
- `schedule_type` and `data_delay_sensitivity` are required, but absent from some real
  responses. Relaxed: removed from `required` (`schedule_type` in `ConnectorResponse` and
  `ConnectorResponseV1`, `data_delay_sensitivity` in `ConnectorResponseV1`, the only one that
  requires it); when present they must still match their type and enum.
- A setup test's `details` is declared `type: object` but can be any JSON value (the
  definition's own example is a string). Relaxed: `SetupTestResultResponse.details` accepts any
  JSON value; `ConnectionTask.details` and `ConnectionWarning.details` stay strings.
- A list item's `config` (`ConnectorResponse.config`) declares every value an object, but real
  list items carry the connection's settings (strings, numbers, lists), as details do.
  Relaxed: the values may be any JSON; `config` itself stays an object.
"""

STRIPPED_MD = """\
## What was kept and what was stripped

Kept: path templates, operations and `operationId`, parameters (name, location, required,
schema), request bodies, status codes, content types, `security` and security schemes,
`servers`, and in schemas: `type`, `format`, `required`, `enum`, `nullable`, `$ref`,
`allOf`/`oneOf`/`anyOf`, `discriminator`, `additionalProperties`, `items`, `default`, the
min/max and uniqueness constraints, and every `example` / `examples` value (tests parse them).

Stripped: every `description`, `summary`, `title`, `externalDocs`, `tags` and `x-*` vendor
extension (including `info.description`; `info.title` is replaced by our own label). Component
schemas that no kept path reaches are dropped. Because response `description`s are stripped,
the derived files are not strictly valid OpenAPI documents; they are validation data.
"""


QUIRKS_MD = """\
## Quirks client and simulator authors must know

Fivetran (paths include `/v1`):
- Every 2xx body is an envelope: `{"code": "Success", "message": ..., "data": ...}`; `code` is
  required, `data` required where present. Lists put `items` and `next_cursor` inside `data`.
  Actions (`DELETE`s, `sync`, `resync`, `drop-columns`, `tables/resync`) answer
  `{"code", "message"}`, both required, with no `data`.
- `GET /v1/connections` items are `ConnectorResponse` (with `config`, plain-integer
  `sync_frequency`); create, details, update and setup tests return `ConnectorResponseV1`,
  which declares no `config` property (extra properties are allowed).
- Error statuses (400, 401, 404, 405, 406, 409, 415) declare no body at all, so the validator
  accepts any error body; the declared statuses differ per operation (e.g. details: 200, 401,
  404, 405, 406; sync: 200, 401, 404, 406, 415; create answers 201).
- `POST .../fingerprints` declares 200 without a body and 201 with a bare
  `FingerprintDetailsResponse` (no envelope), unlike every other operation.
- Every request body is optional in the definition (no `required: true`).
- `UpdateConnectorRequest.schema_status` gives the example `BLOCKED_ON_CAPTURE` but the enum is
  lower-case (`blocked_on_capture`, `ready`): the assembled PATCH example fails on purpose.
- The definition's only whole-body examples are three request `examples` (schema config create
  and update, state update); the tests also assemble bodies from per-property `example`s, the
  way the vendor's docs render them.

Faraday (paths have no `/v1`; the server URL carries it):
- Bodies are bare resources (no envelope); lists are JSON arrays. Errors are
  `{"error": <ErrorCode enum>, "id", "note", "validationErrors"?}`.
- Create answers 201; delete 204 (no body); `force_update` 202 (no body); archive and
  unarchive `2XX` (no body) and *require* a JSON body (`ArchiveConfig`, `{}` is valid).
- `PATCH` bodies use the media type `application/merge-patch+json`.
- `options` objects are `oneOf` variants chosen by the `type` discriminator; a value missing
  from the mapping is rejected.
- Timestamps are plain strings (formats were lost in the reconstruction) and `archived_at` is
  not declared nullable; the definition has no examples at all.
"""


def render_sources(derived: list[Derived]) -> str:
    """Render tests/specs/SOURCES.md from the derivation's facts."""
    lines = [
        "# Vendor API definitions used by the tests",
        "",
        "Generated by `scripts/derive_specs.py`; do not edit by hand. These files are data:",
        "structure-only copies of the vendors' OpenAPI definitions, so the tests never need",
        "the team's `shared/specs` folder.",
        "",
        "Regenerate (from the repository root, with the team folder beside the checkout):",
        "",
        "```",
        ".venv/bin/python scripts/derive_specs.py ../shared/specs",
        "```",
        "",
        "Verify the committed files without writing (exit status 1 on drift):",
        "",
        "```",
        ".venv/bin/python scripts/derive_specs.py ../shared/specs --check",
        "```",
        "",
    ]
    for item in derived:
        doc = item.document
        lines += [
            f"## `{item.source.output}`",
            "",
            PROVENANCE[item.source.output],
            f"- Input: `specs/{item.source.input}`, sha256 `{item.input_sha256}`.",
        ]
        if item.source.fallback is not None:
            taken = item.paths_from_fallback + item.schemas_from_fallback
            lines.append(
                f"- Fallback for anything missing from the input: `specs/{item.source.fallback}`,"
                f" sha256 `{item.fallback_sha256}`; taken from it: "
                + (", ".join(f"`{name}`" for name in taken) if taken else "nothing")
                + "."
            )
        lines += [
            f"- Kept: paths under {', '.join(f'`{p}`' for p in item.source.path_prefixes)}:"
            f" {len(doc['paths'])} paths, {count_operations(doc)} operations,"
            f" {len(doc['components']['schemas'])} component schemas.",
            "",
        ]
    return "\n".join(lines) + "\n" + "\n".join((STRIPPED_MD, RELAXATIONS_MD, QUIRKS_MD))


def outputs(specs_dir: Path) -> dict[Path, str]:
    """Map each output file to the exact text it should contain."""
    derived = [derive(specs_dir, source) for source in SOURCES]
    files = {OUT_DIR / item.source.output: render_json(item.document) for item in derived}
    files[OUT_DIR / "SOURCES.md"] = render_sources(derived)
    return files


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check`` compare) the derived files; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("specs_dir", nargs="?", type=Path, default=DEFAULT_SPECS_DIR)
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed files differ")
    args = parser.parse_args(argv)
    files = outputs(args.specs_dir)
    if args.check:
        stale = [
            path
            for path, text in files.items()
            if not path.exists() or path.read_text(encoding="utf-8") != text
        ]
        for path in stale:
            print(f"out of date: {path.relative_to(REPO_ROOT)}", file=sys.stderr)
        return 1 if stale else 0
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
