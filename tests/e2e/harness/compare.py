"""Compare two JSON values except for what differs by nature between runs (ids, times).

Phase-2 scenarios compare the XCom of a deferred run with that of a non-deferred run:
`comparable(value)` replaces ids and timestamps with a placeholder and lists the
JSON paths it replaced, so a test can both assert equality and say exactly what the
comparison ignored. Ids a test knows (a vendor's generated connection id, which also
shows inside URLs) are given as `ids`: each occurrence becomes the id's stable name.
"""

import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any

__all__ = ["IGNORED", "ISO_TIMESTAMP", "UUID", "comparable", "differences"]

IGNORED = "<ignored>"
#: 2026-11-30T14:33:04Z, 2026-11-30 14:33:04.897149+00:00 ...
ISO_TIMESTAMP = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$"
)
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def comparable(
    value: Any,
    *,
    ignore_keys: Collection[str] = (),
    ignore_values: Sequence[re.Pattern[str]] = (ISO_TIMESTAMP, UUID),
    ids: Mapping[str, str] | None = None,
) -> tuple[Any, list[str]]:
    """`value` with ignored parts replaced by `IGNORED`, and the paths replaced (`$.a[0].b`).

    A dict entry is ignored when its key is in `ignore_keys` (e.g. a sync id), and any
    string that matches one of `ignore_values` (timestamps and UUIDs by default).
    `ids` maps known ids to names: each occurrence of an id in a string, whole or
    inside it, becomes `<name>` (longest ids first), and its path is listed too.
    """
    ignored: list[str] = []
    known = sorted((ids or {}).items(), key=lambda item: -len(item[0]))
    if any(not id_ for id_, _ in known):
        raise ValueError("ids: an empty id would match every string")

    def named(text: str, path: str) -> str:
        renamed = text
        for id_, name in known:
            renamed = renamed.replace(id_, f"<{name}>")
        if renamed != text:
            ignored.append(path)
        return renamed

    def walk(node: Any, path: str) -> Any:
        if isinstance(node, dict):
            out: dict[str, Any] = {}
            for key, item in node.items():
                child = f"{path}.{key}"
                if key in ignore_keys:
                    ignored.append(child)
                    out[key] = IGNORED
                else:
                    out[key] = walk(item, child)
            return out
        if isinstance(node, list):
            return [walk(item, f"{path}[{i}]") for i, item in enumerate(node)]
        if isinstance(node, str):
            node = named(node, path)
            if any(p.match(node) for p in ignore_values):
                ignored.append(path)
                return IGNORED
        return node

    return walk(value, "$"), ignored


def differences(left: Any, right: Any, path: str = "$") -> list[str]:
    """Paths where two JSON values differ, with both sides (empty when equal)."""
    if isinstance(left, dict) and isinstance(right, dict):
        found: list[str] = []
        for key in sorted(set(left) | set(right), key=str):
            if key not in left or key not in right:
                found.append(f"{path}.{key}: only on the {'right' if key not in left else 'left'}")
            else:
                found.extend(differences(left[key], right[key], f"{path}.{key}"))
        return found
    if isinstance(left, list) and isinstance(right, list):
        if len(left) != len(right):
            return [f"{path}: {len(left)} items != {len(right)} items"]
        return [
            d
            for i, (a, b) in enumerate(zip(left, right, strict=True))
            for d in differences(a, b, f"{path}[{i}]")
        ]
    return [] if left == right else [f"{path}: {left!r} != {right!r}"]
