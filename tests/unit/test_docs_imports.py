"""README and docs examples import only from the public faces, and only names they export."""

import importlib
import re
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

FACES = {"conn_shared", "conn_shared.sim", "dagster_conn"}
DOCUMENTS = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]


_FROM = re.compile(r"^\s*from\s+([\w.]+)\s+import\s+(?:\(([^)]*)\)|(.+))$", re.M)


def _imports(document: Path) -> list[tuple[str, str]]:
    """(module, name) of every `from ... import` in the document's python blocks.

    Read with a regular expression: some blocks are sketches that do not parse.
    """
    found = []
    for block in re.findall(r"```python\n(.*?)```", document.read_text(), re.S):
        for module, grouped, inline in _FROM.findall(block):
            names = (grouped or inline).split("#")[0].replace("\n", " ").split(",")
            found += [(module, n.split(" as ")[0].strip()) for n in names if n.strip()]
    return found


@pytest.mark.parametrize(
    "document", [pytest.param(d, id=d.relative_to(REPO_ROOT).as_posix()) for d in DOCUMENTS]
)
def test_examples_import_only_exported_names_of_the_public_faces(document: Path) -> None:
    for module, name in _imports(document):
        if not module.startswith(("conn_shared", "dagster_conn")):
            continue
        assert module in FACES, f"{document.name}: imports from {module}, not a public face"
        if name:
            face = importlib.import_module(module)
            assert name in face.__all__, f"{document.name}: {module} does not export {name}"


def test_the_readme_shows_the_public_face() -> None:
    assert ("conn_shared", "plan_connection") in _imports(REPO_ROOT / "README.md")
