"""The simulator's layout: one package per vendor with the same file roles, documented
once, an acyclic import graph, and no import of client code.

Imports are read from the source (every `import` statement, including those inside
functions), so a cycle hidden behind a lazy import counts too.
"""

import ast
from pathlib import Path

import pytest

import conn_shared.sim
from conn_shared.sim.clock import SimClock
from conn_shared.sim.credentials import SimCredentials
from conn_shared.sim.vendors import VENDORS, build_vendor

SIM_DIR = Path(conn_shared.sim.__file__).parent
ROOT = SIM_DIR.parent.parent
COMMON_ROLES = {
    "__init__.py",
    "backend.py",
    "routes.py",
    "wire.py",
    "store.py",
    "records.py",
    "states.py",
    "connections.py",
}
VENDOR_ONLY = {
    "fivetran": {"syncs.py", "schemas.py", "trust.py", "account.py"},
    "faraday": {"datasets.py", "options.py"},
    "hub": {"browse.py", "files.py", "database.py", "sql.py"},
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph() -> dict[str, set[str]]:
    """module -> every `conn_shared...` module it imports (submodules resolved)."""
    modules = {_module_name(path): path for path in SIM_DIR.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    submodule = f"{node.module}.{alias.name}"
                    targets.add(submodule if submodule in modules else node.module)
            elif isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
        graph[name] = {t for t in targets if t == "conn_shared" or t.startswith("conn_shared.")}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if target not in graph:
                continue
            if state.get(target) == 1:
                found.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, path)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    return found


@pytest.mark.parametrize("vendor", [pytest.param(v, id=v) for v in sorted(VENDOR_ONLY)])
def test_each_vendor_package_has_the_common_roles_and_its_own_extras(vendor: str) -> None:
    files = {path.name for path in (SIM_DIR / vendor).glob("*.py")}
    assert files == COMMON_ROLES | VENDOR_ONLY[vendor]


def test_every_vendor_file_role_is_documented_in_the_package_docstring() -> None:
    doc = conn_shared.sim.__doc__ or ""
    undocumented = sorted(
        name for name in COMMON_ROLES | set().union(*VENDOR_ONLY.values()) if name not in doc
    )
    assert undocumented == []


def test_the_simulator_import_graph_has_no_cycle() -> None:
    assert _cycles(_import_graph()) == []


def test_cycle_detection_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c", "a"]]


def test_the_simulator_imports_no_client_code() -> None:
    outside = {
        (module, target)
        for module, targets in _import_graph().items()
        for target in targets
        if not target.startswith("conn_shared.sim")
    }
    assert outside == set()


@pytest.mark.parametrize("vendor", [pytest.param(v, id=v) for v in sorted(VENDOR_ONLY)])
def test_each_vendor_package_is_one_row_of_the_vendor_table(vendor: str) -> None:
    assert VENDORS[vendor].module == f"conn_shared.sim.{vendor}"
    backend = build_vendor(vendor, SimClock(), SimCredentials(), {})
    assert backend.name == vendor
    assert backend.base_path in ("", "/v1")
    assert backend.routes()


def test_the_vendor_table_lists_every_vendor_package() -> None:
    packages = {path.parent.name for path in SIM_DIR.glob("*/__init__.py")}
    assert set(VENDORS) == packages == set(VENDOR_ONLY)
