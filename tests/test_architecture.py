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
    "gateway.rest",
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
