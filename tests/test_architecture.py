"""The layers of DESIGN.md import only downwards, and frameworks stay in their layers."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("gateway", "schema", "resolvers", "loaders")

KERNEL, BATCHING, DOMAIN, API, SHELL = range(5)
SHELL_MODULES = (
    "gateway.app",
    "gateway.cli",
    "gateway.middleware",
    "gateway.graphql_view",
    "gateway.credential_watch",
    "gateway.rest",
    "gateway.http",
    "gateway.demo",
    "gateway.pages",
)
LAYER_NAMES = {
    KERNEL: "kernel",
    BATCHING: "loaders",
    DOMAIN: "resolvers",
    API: "schema",
    SHELL: "shell",
}


def layer_of(module: str) -> int:
    top = module.split(".")[0]
    if top == "loaders":
        return BATCHING
    if top == "resolvers":
        return DOMAIN
    if top == "schema":
        return API
    if any(module == m or module.startswith(m + ".") for m in SHELL_MODULES):
        return SHELL
    return KERNEL


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(p for p in parts if p != "__init__") or package
            found[name] = path
    return found


def imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_every_module_imports_only_its_own_layer_or_lower() -> None:
    violations = []
    for module, path in modules().items():
        own = layer_of(module)
        for imported in imports(path):
            if imported.split(".")[0] not in PACKAGES:
                continue
            if layer_of(imported) > own:
                violations.append(
                    f"{module} ({LAYER_NAMES[own]}) imports {imported} "
                    f"({LAYER_NAMES[layer_of(imported)]})"
                )
    assert violations == []


def test_strawberry_is_imported_only_by_the_schema_and_the_graphql_view() -> None:
    offenders = [
        module
        for module, path in modules().items()
        if any(i.split(".")[0] == "strawberry" for i in imports(path))
        and not (module.startswith("schema") or module == "gateway.graphql_view")
    ]
    assert offenders == []


def test_starlette_is_imported_only_by_the_shell() -> None:
    offenders = [
        module
        for module, path in modules().items()
        if any(i.split(".")[0] == "starlette" for i in imports(path)) and layer_of(module) != SHELL
    ]
    assert offenders == []


def test_the_layer_map_knows_every_package() -> None:
    found = modules()
    assert layer_of("gateway.auth.visibility") == KERNEL
    assert layer_of("gateway.rest.alyx") == SHELL
    assert {"gateway.app", "schema", "resolvers.query", "loaders.rows"} <= set(found)


# --- surfaces are siblings: the GraphQL view, each REST family, and what they share -------------

FAMILIES = ("brainstem", "alyx", "brainmaps", "braincircuits")


def _family_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[:2] == ["gateway", "rest"] and len(parts) > 2 and parts[2] in FAMILIES:
        return parts[2]
    return None


def _imported_modules(path: Path, known: set[str]) -> set[str]:
    """The project modules ``path`` imports, ``from package import module`` included."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found & known


def _reachable(start: str) -> set[str]:
    """Every project module ``start`` imports, directly or through others."""
    found = modules()
    known = set(found)
    seen, todo = set(), [start]
    while todo:
        module = todo.pop()
        for imported in _imported_modules(found[module], known):
            if imported not in seen:
                seen.add(imported)
                todo.append(imported)
    return seen


def test_the_graphql_view_reaches_no_rest_module() -> None:
    reached = _reachable("gateway.graphql_view")
    assert "gateway.http.errors" in reached  # it does share the error rendering
    assert sorted(m for m in reached if m.startswith("gateway.rest")) == []


def test_no_rest_family_reaches_another() -> None:
    crossings = [
        f"{module} -> {imported}"
        for module in modules()
        if _family_of(module)
        for imported in _reachable(module)
        if _family_of(imported) not in (None, _family_of(module))
    ]
    assert crossings == []
    assert {_family_of(m) for m in modules()} >= set(FAMILIES)


def test_what_the_surfaces_share_reaches_no_rest_module() -> None:
    shared = [m for m in modules() if m.startswith("gateway.http")]
    assert "gateway.http.routing" in shared
    reached = {imported for module in shared for imported in _reachable(module)}
    assert sorted(m for m in reached if m.startswith("gateway.rest")) == []
