"""Structured fields: a ``type`` (the selector) and a JSON ``details`` payload whose shape the
type's JSON Schema fixes (BrainSTEM's procedures, behaviors' data acquisitions, manipulations,
subject logs, ...). The schemas are vendored data files (``schemas/<Group>/<Type>.json``, see
``SOURCE.md``); :func:`check` validates a payload with the ``jsonschema`` library and refuses
one that breaks its schema with a :class:`BadRequest` naming the failing path."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from gateway.errors import BadRequest

_SCHEMAS = Path(__file__).parent / "schemas"


@dataclass(frozen=True, slots=True)
class Structured:
    """A pair of an entity's columns: ``selector`` names a schema of ``group``, which the
    JSON in ``payload`` must satisfy."""

    group: str
    selector: str = "type"
    payload: str = "details"
    # The column the schema's version is written to, when the entity keeps it.
    version: str = "type_schema_version"
    # Logs keep a list of entries (``{date_time, notes, details}``) in ``payload``: then each
    # entry's ``details`` follows the schema, not the payload itself.
    entries: bool = False


@cache
def groups() -> Mapping[str, Mapping[str, Any]]:
    """Every vendored schema, by group and type."""
    return {
        folder.name: {path.stem: json.loads(path.read_text("utf-8")) for path in _files(folder)}
        for folder in sorted(_SCHEMAS.iterdir())
        if folder.is_dir()
    }


def _files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.json"))


@cache
def _validator(group: str, kind: str, entries: bool) -> Draft202012Validator:
    schema = groups()[group][kind]
    if entries:
        entry = {**_ENTRY, "properties": {**_ENTRY_FIELDS, "details": schema}}
        schema = {"type": "array", "items": entry}
    return Draft202012Validator(schema)


# A log entry, as BrainSTEM's log endpoints list them.
_ENTRY_FIELDS = {
    "date_time": {"type": "string", "format": "date-time"},
    "notes": {"type": ["string", "null"]},
}
_ENTRY = {"type": "object", "required": ["date_time"], "additionalProperties": False}


def schema_of(group: str, kind: str) -> Mapping[str, Any] | None:
    return groups().get(group, {}).get(kind)


def check(structured: Structured, kind: Any, payload: Any) -> str:
    """Refuse a ``kind`` that names no schema of the group and a ``payload`` that breaks the
    schema of ``kind``; the schema's version otherwise."""
    schemas = groups()[structured.group]
    if kind not in schemas:
        allowed = ", ".join(sorted(schemas))
        raise BadRequest(f'"{kind}" is not a valid choice ({allowed}).', field=structured.selector)
    error = best_match(
        _validator(structured.group, kind, structured.entries).iter_errors(payload)
    )
    if error is not None:
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        where = f"{structured.payload}{path}"
        raise BadRequest(f"{where}: {error.message}", field=structured.payload, path=where)
    return str(schemas[kind].get("x-version", ""))
