"""The small fake file tree file-capable hub connections browse, and selection checks.

The tree is the same for every connection (deterministic ids, sizes and dates).
Listings are paged `PAGE_SIZE` items at a time with opaque page tokens; a
selection is valid when every item exists, nothing is selected twice (directly or
through a selected folder) and the files it covers total at most `MAX_TOTAL_BYTES`.
"""

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import Any

__all__ = [
    "MAX_TOTAL_BYTES",
    "PAGE_SIZE",
    "FileNode",
    "PageTokenError",
    "list_folder",
    "resolve",
    "validate_selection",
]

PAGE_SIZE = 5
MAX_TOTAL_BYTES = 10_000_000
_FOLDER_MIME = "inode/directory"


@dataclass(frozen=True)
class FileNode:
    """A file or folder of the fake tree."""

    path: str
    size: int = 0
    mime_type: str = _FOLDER_MIME
    modified_at: str = "2026-01-15T08:30:00Z"

    @property
    def is_folder(self) -> bool:
        """Folders are the nodes with the directory mime type."""
        return self.mime_type == _FOLDER_MIME

    @property
    def id(self) -> str:
        """A stable id derived from the path, as cloud drives hand out."""
        return "f_" + hashlib.sha256(self.path.encode()).hexdigest()[:16]

    @property
    def name(self) -> str:
        """The last path segment."""
        return self.path.rsplit("/", 1)[-1]

    @property
    def depth(self) -> int:
        """How many folders deep: a root-level file has depth 1."""
        return 0 if self.path == "/" else self.path.count("/")

    def to_json(self) -> dict[str, Any]:
        """The hub's file item."""
        return {
            "id": self.id,
            "kind": "folder" if self.is_folder else "file",
            "mimeType": self.mime_type,
            "modifiedAt": self.modified_at,
            "name": self.name,
            "path": self.path,
            "size": self.size,
        }


_CSV, _JSON = "text/csv", "application/json"
_TREE = (
    FileNode("/exports"),
    FileNode("/reports"),
    FileNode("/customers.csv", 48_213, _CSV, "2026-03-01T10:00:00Z"),
    FileNode("/inventory.json", 7_340, _JSON, "2026-03-02T10:00:00Z"),
    FileNode("/orders.csv", 310_552, _CSV, "2026-03-03T10:00:00Z"),
    FileNode("/products.csv", 12_004, _CSV, "2026-03-04T10:00:00Z"),
    FileNode("/readme.txt", 1_024, "text/plain", "2026-01-02T10:00:00Z"),
    FileNode("/exports/customers_2026.csv", 96_400, _CSV, "2026-03-05T10:00:00Z"),
    FileNode("/exports/full_dump.parquet", 12_500_000, "application/vnd.apache.parquet"),
    FileNode("/reports/2026"),
    FileNode("/reports/summary.pdf", 220_000, "application/pdf", "2026-02-28T10:00:00Z"),
    FileNode("/reports/2026/q1.csv", 5_120, _CSV, "2026-04-01T10:00:00Z"),
    FileNode("/reports/2026/q2.csv", 5_376, _CSV, "2026-07-01T10:00:00Z"),
)
_BY_PATH = {node.path: node for node in _TREE}
_BY_ID = {node.id: node for node in _TREE}
_ROOT = FileNode("/")


class PageTokenError(ValueError):
    """The page token is not one this listing handed out."""


def resolve(path_or_id: str) -> FileNode | None:
    """A node by path ("/reports", "reports/") or by id; "/" (or "") is the root folder."""
    if path_or_id in _BY_ID:
        return _BY_ID[path_or_id]
    path = "/" + path_or_id.strip().strip("/")
    return _ROOT if path == "/" else _BY_PATH.get(path)


def _children(folder: FileNode) -> list[FileNode]:
    prefix = folder.path.rstrip("/") + "/"
    return [n for n in _TREE if n.path.startswith(prefix) and "/" not in n.path[len(prefix) :]]


def _descendant_files(node: FileNode) -> list[FileNode]:
    if not node.is_folder:
        return [node]
    prefix = node.path.rstrip("/") + "/"
    return [n for n in _TREE if n.path.startswith(prefix) and not n.is_folder]


def _token(path: str, offset: int) -> str:
    return base64.urlsafe_b64encode(f"{path}\n{offset}".encode()).decode().rstrip("=")


def _offset_of(token: str, path: str) -> int:
    try:
        padded = token + "=" * (-len(token) % 4)
        token_path, _, raw = base64.urlsafe_b64decode(padded).decode().partition("\n")
        offset = int(raw)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise PageTokenError("Invalid page token") from None
    if token_path != path or offset < 0:
        raise PageTokenError("Page token belongs to another listing")
    return offset


def list_folder(folder: FileNode, page_token: str | None) -> tuple[list[FileNode], str | None]:
    """One page of a folder's children (folders first, then by name) and the next token."""
    offset = 0 if not page_token else _offset_of(page_token, folder.path)
    items = sorted(_children(folder), key=lambda n: (not n.is_folder, n.name))
    page = items[offset : offset + PAGE_SIZE]
    more = offset + PAGE_SIZE < len(items)
    return page, (_token(folder.path, offset + PAGE_SIZE) if more else None)


def validate_selection(selected: list[str]) -> dict[str, Any]:
    """The hub's selection verdict: totals over distinct files, and each violation."""
    violations: list[dict[str, Any]] = []
    nodes: list[tuple[str, FileNode]] = []
    for item in selected:
        node = resolve(item)
        if node is None:
            violations.append(
                {"item": item, "code": "not_found", "message": f"No file or folder {item!r}"}
            )
        else:
            nodes.append((item, node))
    seen: set[str] = set()
    for item, node in nodes:
        inside = [
            other.path
            for _, other in nodes
            if other.is_folder
            and other.path != node.path
            and node.path.startswith(other.path.rstrip("/") + "/")
        ]
        if node.path in seen or inside:
            where = f"inside selected folder {inside[0]}" if inside else "selected twice"
            violations.append(
                {"item": item, "code": "duplicate", "message": f"{node.path} is {where}"}
            )
        seen.add(node.path)
    files = {f.path: f for _, node in nodes for f in _descendant_files(node)}
    total_bytes = sum(f.size for f in files.values())
    if total_bytes > MAX_TOTAL_BYTES:
        violations.append(
            {
                "item": None,
                "code": "too_large",
                "message": f"Selection totals {total_bytes} bytes; the limit is {MAX_TOTAL_BYTES}",
            }
        )
    depths = [node.depth for _, node in nodes] + [f.depth for f in files.values()]
    return {
        "valid": not violations,
        "violations": violations,
        "totalItems": len(files),
        "totalBytes": total_bytes,
        "maxDepth": max(depths, default=0),
    }
