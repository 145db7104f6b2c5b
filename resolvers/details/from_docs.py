"""Rebuild the vendored JSON Schemas from BrainSTEM's published schema pages.

BrainSTEM documents the shape of each ``details`` (and ``coordinates_details``) payload as a
markdown page per group (``docs/api/schemas/*.md`` of ``brainstem-org/brainstem_support``,
MIT licence): per type, its source file name, version, shape, required fields and one table
row per field. The gateway validates against JSON Schema, so this turns those pages into one
JSON Schema file per type, beside this module (``schemas/<Group>/<Type>.json``). Run it by hand
when the pages change::

    python -m resolvers.details.from_docs path/to/brainstem_support/docs/api/schemas
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent / "schemas"
_HEADING = re.compile(r"^### `([^`]+)`\s*$")
_META = re.compile(
    r"^- \*\*(Schema title|Schema version|Source|Schema shape|Required fields):\*\* (.*)$"
)
_ROW = re.compile(r"^\| `([^`]+)` \| `([^`]+)` \| (yes|no) \| (.*) \|\s*$")
_NUMBER_UNIT = re.compile(r"^object\(value:number, unit:enum\[(.*)\]\)$")
_SCALARS = {"string", "integer", "number", "boolean", "array", "object"}


def _constraints(text: str) -> dict[str, Any]:
    """``enum=[...]; minimum=0; default=...; format="..."`` as JSON Schema keywords (the
    presentational ``format`` and the ``default`` are kept as annotations only)."""
    found: dict[str, Any] = {}
    if text.strip() in ("—", ""):
        return found
    for part in re.split(r"; (?=[A-Za-z]+=)", text.strip()):
        key, _, raw = part.partition("=")
        value = json.loads(raw)
        if key in ("enum", "minimum", "maximum", "minItems", "default"):
            found[key] = value
        elif key == "format":
            found["x-format"] = value  # a form widget hint, not a JSON Schema format
    return found


def _property(expected: str, constraints: str) -> dict[str, Any]:
    unit = _NUMBER_UNIT.match(expected)
    extra = _constraints(constraints)
    if unit:
        units = [u.strip() for u in unit.group(1).split(", ")]
        extra.pop("default", None)  # the form's default unit, not a value
        return {
            "type": "object",
            "properties": {"value": {"type": "number"}, "unit": {"enum": units}},
            "required": ["value"],
            "additionalProperties": False,
            **extra,
        }
    if expected not in _SCALARS:
        raise ValueError(f"unknown expected value {expected!r}")
    return {"type": expected, **extra}


def _schema(meta: dict[str, str], rows: list[tuple[str, str, bool, str]]) -> dict[str, Any]:
    required = [r.strip(" `") for r in meta["Required fields"].split(",")]
    item: dict[str, Any] = {
        "type": "object",
        "properties": {name: _property(kind, rest) for name, kind, _, rest in rows},
        "required": [] if required == ["none"] else required,
    }
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": meta["Schema title"].strip("`"),
        "x-version": meta["Schema version"].strip("`"),
    }
    if meta["Schema shape"].strip("`") == "array items":
        return {**schema, "type": "array", "items": item}
    return {**schema, **item}


def convert(page: str) -> dict[tuple[str, str], dict[str, Any]]:
    """Every schema one page documents, by (group, type)."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    name: str | None = None
    meta: dict[str, str] = {}
    rows: list[tuple[str, str, bool, str]] = []

    def close() -> None:
        if name is not None and "Source" in meta:
            group = meta["Source"].strip("`").split("/")[-2]
            found[(group, name)] = _schema(meta, rows)

    for line in page.splitlines():
        if heading := _HEADING.match(line):
            close()
            name, meta, rows = heading.group(1), {}, []
        elif name and (m := _META.match(line)):
            meta[m.group(1)] = m.group(2).strip()
        elif name and (r := _ROW.match(line)):
            rows.append((r.group(1), r.group(2), r.group(3) == "yes", r.group(4)))
    close()
    return found


def main(pages: Path) -> None:
    for page in sorted(pages.glob("*.md")):
        for (group, name), schema in convert(page.read_text(encoding="utf-8")).items():
            target = HERE / group / f"{name}.json"
            target.parent.mkdir(parents=True, exist_ok=True)
            text = json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True)
            target.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
