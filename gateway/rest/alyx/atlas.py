"""Alyx's ``experiments`` endpoints: ``brain-regions``, ``insertions`` and ``trajectories``,
as cortex-lab/alyx 3.6.1 serializes and filters them (``BrainRegionSerializer``,
``ProbeInsertionListSerializer`` / ``DetailSerializer``, ``TrajectoryEstimateSerializer``;
``BrainRegionFilter``, ``ProbeInsertionFilter``, ``TrajectoryEstimateFilter``): their mapping
tables and filters, declared as data like those of :mod:`.records` and :mod:`.filters`.

An insertion's and a trajectory's session filters are the session's own fields, reached
through the to-one relations (a hidden session matches nothing). Chronic insertions and
channels are not modelled: their fields show what Alyx shows without them, and the
``atlas_*`` filters search channels' brain regions, which neurogate does not record: none.
"""

from __future__ import annotations

from typing import Any

from gateway.errors import BadRequest, QueryError
from gateway.rest.alyx import data_records
from gateway.rest.alyx.fields import (
    EMPTY,
    NULL,
    Computed,
    Env,
    Record,
    Shape,
    Shows,
    Value,
    returns,
)
from gateway.rest.alyx.query import (
    ATLAS_PARAMS,
    Listing,
    Param,
    Parse,
    _day,
    contains,
    equals,
    equals_any_case,
    on_days,
)
from gateway.rest.alyx.records import (
    SESSION_DATASET,
    blank,
    or_null,
    start_time,
    text,
    timestamp,
)
from gateway.rest.alyx.writes import Fields, _as_is, _json, _text
from resolvers import catalog
from resolvers.context import Context
from resolvers.declared import rules
from resolvers.query import Condition, Entity, Related

_REGION = catalog.ENTITIES["BrainRegion"]
_INSERTION = catalog.ENTITIES["ProbeInsertion"]
_TRAJECTORY = catalog.ENTITIES["TrajectoryEstimate"]

# TrajectoryEstimate.INSERTION_DATA_SOURCES: the stored number and the name Alyx shows.
PROVENANCES = {
    70: "Ephys aligned histology track",
    50: "Histology track",
    30: "Micro-manipulator",
    10: "Planned",
}


# --- brain regions (BrainRegionSerializer) -----------------------------------------------------

BRAIN_REGION = Shape(
    _REGION,
    {
        "id": Value("id"),
        "acronym": Value("acronym"),
        "name": Value("name"),
        "description": Value("description", blank),
        "parent": Value("parent_id"),
        # Descriptions of its ancestors and descendants (not gathered yet).
        "related_descriptions": EMPTY,
    },
)

# --- insertions (ProbeInsertionListSerializer, fields '__all__'; the detail lists datasets) ----

# SessionListSerializer, as an insertion's ``session_info`` and a trajectory's ``session``.
_SESSION_INFO = (
    "id",
    "start_time",
    "created_at",
    "number",
    "task_protocol",
    "subject.nickname",
    "lab.name",
    "projects.name",
)


def session_info(session: Any, env: Env) -> Record | None:
    """The session an insertion recorded in, as Alyx nests it (ONE builds its sessions
    table from it)."""
    if session is None:
        return None
    return {
        "subject": None if session.subject is None else session.subject.nickname,
        "start_time": start_time(session, env),
        "number": session.number,
        "lab": None if session.lab is None else session.lab.name,
        "id": str(session.id),
        "projects": [project.name for project in session.projects],
        "task_protocol": session.task_protocol,
    }


@returns({"type": "object"})
def _insertion_session(node: Any, env: Env) -> Record | None:
    """Its session: subject, start time, number, lab, id, projects and task protocol."""
    return session_info(node.session, env)


def _its_datasets(node: Any) -> list[Any]:
    """Alyx's ``datasets`` of an insertion: its session's datasets whose collection names it
    (``collection__icontains=name``)."""
    name = node.name.lower()
    session = node.session
    uploads = [] if session is None else session.datasets
    return [upload for upload in uploads if name in (upload.collection or "").lower()]


@returns({"type": "array", "items": {"type": "string", "format": "uuid"}})
def _dataset_ids(node: Any, env: Env) -> list[str]:
    """The UUIDs of its datasets: its session's whose collection contains its name."""
    return [str(upload.uuid) for upload in _its_datasets(node)]


_DATASET_SHAPE = Shape(catalog.FILE_UPLOAD, SESSION_DATASET)


@returns({"type": "array", "items": {"type": "object"}})
def _dataset_records(node: Any, env: Env) -> list[Record]:
    """Its datasets (its session's whose collection contains its name), as in a session."""
    inner = Env(env.urls, env.today, parent=node.session)
    return [_DATASET_SHAPE.render(upload, inner) for upload in _its_datasets(node)]


_SESSION_READS = tuple(f"session.{path}" for path in _SESSION_INFO)
_DATASET_READS = (
    "session.subject.nickname",
    "session.lab.name",
    *(f"session.datasets.{path}" for path in ("uuid", "id", "name", "collection", "created_at")),
    *(f"session.datasets.{path}" for path in ("dataset_type", "size", "sha256", "md5")),
    *(f"session.datasets.{path}" for path in ("version", "revision.name", "default_dataset")),
    *(f"session.datasets.{path}" for path in data_records.FILE_RECORD_READS),
)
_INSERTION_FIELDS: dict[str, Shows] = {
    "id": Value("id", text),
    "session": Value("session_id", text),
    "model": Value("model", blank),
    "session_info": Computed(_insertion_session, _SESSION_READS),
    "name": Value("name"),
    "json": Value("json_data", or_null),
    "serial": Value("serial"),
    "auto_datetime": Value("updated_at", timestamp),
    "datasets": Computed(_dataset_ids, _DATASET_READS),
    "chronic_insertion": NULL,
}
INSERTION = Shape(_INSERTION, _INSERTION_FIELDS)
INSERTION_DETAIL = Shape(
    _INSERTION,
    {
        **{k: v for k, v in _INSERTION_FIELDS.items() if k != "datasets"},
        "datasets": Computed(_dataset_records, _DATASET_READS),
    },
)

# --- trajectories (TrajectoryEstimateSerializer, fields '__all__') -----------------------------


@returns({"type": "string", "enum": list(PROVENANCES.values())})
def provenance_name(value: int | None) -> str | None:
    return None if value is None else PROVENANCES.get(value, str(value))


@returns({"type": "object"})
def _trajectory_session(node: Any, env: Env) -> Record | None:
    """Its insertion's session: subject, start time, number, lab, id, projects, protocol."""
    insertion = node.probe_insertion
    return None if insertion is None else session_info(insertion.session, env)


@returns({"type": "string"})
def _probe_name(node: Any, env: Env) -> str | None:
    """The name of the insertion it estimates."""
    insertion = node.probe_insertion
    return None if insertion is None else insertion.name


TRAJECTORY = Shape(
    _TRAJECTORY,
    {
        "id": Value("id", text),
        "probe_insertion": Value("probe_insertion_id", text),
        "x": Value("x"),
        "y": Value("y"),
        "z": Value("z"),
        "depth": Value("depth"),
        "theta": Value("theta"),
        "phi": Value("phi"),
        "roll": Value("roll"),
        "provenance": Value("provenance", provenance_name),
        "session": Computed(
            _trajectory_session, tuple(f"probe_insertion.{p}" for p in _SESSION_READS)
        ),
        "probe_name": Computed(_probe_name, ("probe_insertion.name",)),
        "coordinate_system": Value("coordinate_system", blank),
        "datetime": Value("updated_at", timestamp),
        "json": Value("json_data", or_null),
        "chronic_insertion": NULL,
    },
)

# --- writes (through the entity graph's declared writes: the session's editors) ---------------


async def _provenance_value(ctx: Context, name: str, value: Any) -> Any:
    """A provenance by its name (as Alyx shows it) or its number."""
    for number, label in PROVENANCES.items():
        if value in (number, label) or (isinstance(value, str) and value.lower() == label.lower()):
            return number
    choices = ", ".join(PROVENANCES.values())
    raise BadRequest(f'"{value}" is not a valid choice ({choices}).', field=name)


INSERTION_WRITES = Fields(
    writable={
        "name": ("name", _as_is),
        "session": ("session_id", _as_is),
        "model": ("model", _text),
        "serial": ("serial", _text),
        "json": ("json_data", _json),
    },
    read_only=frozenset({"id", "session_info", "auto_datetime", "datasets"}),
    not_stored=frozenset({"chronic_insertion"}),
    accepted=frozenset(rules(_INSERTION)),
)
TRAJECTORY_WRITES = Fields(
    writable={
        "probe_insertion": ("probe_insertion_id", _as_is),
        **{name: (name, _as_is) for name in ("x", "y", "z", "depth", "theta", "phi", "roll")},
        "provenance": ("provenance", _provenance_value),
        "coordinate_system": ("coordinate_system", _text),
        "json": ("json_data", _json),
    },
    read_only=frozenset({"id", "session", "probe_name", "datetime"}),
    not_stored=frozenset({"chronic_insertion"}),
    accepted=frozenset(rules(_TRAJECTORY)),
)


# --- filters -----------------------------------------------------------------------------------


def through(fk: str, target: Entity, parse: Parse) -> Parse:
    """``parse`` applied to the ``target`` row the to-one relation ``fk`` names."""

    def parsed(entity: Entity, param: str, raw: str) -> Condition:
        return Related(fk, target, parse(target, param, raw))

    return parsed


def _on_day(column: str) -> Parse:
    """Django's ``<datetime>__date``: a YYYY-MM-DD day."""

    def parse(entity: Entity, param: str, raw: str) -> Condition:
        return on_days(column, "eq", [_day(param, raw)])

    return parse


def _session_params(via: Any) -> tuple[Param, ...]:
    """The session filters insertions and trajectories share, each through ``via``."""
    return (
        Param("subject", via(equals("subject_nickname")), "The session's subject nickname."),
        Param("date", via(_on_day("start_time")), "The session's day, YYYY-MM-DD."),
        Param("experiment_number", via(equals("number")), "The session's number.", "integer"),
        Param("session", via(equals("id")), "The session's UUID."),
    )


def _of_session(parse: Parse) -> Parse:
    return through("session_id", catalog.SESSION, parse)


def _of_insertion_session(parse: Parse) -> Parse:
    return through("probe_insertion_id", _INSERTION, _of_session(parse))


def _provenance(entity: Entity, param: str, raw: str) -> Condition:
    """A provenance by its name (any case) or number, as Alyx's ``enum_field_filter``."""
    text = raw.strip().lower()
    for value, name in PROVENANCES.items():
        if text in {name.lower(), str(value)}:
            return equals("provenance")(entity, param, str(value))
    choices = ", ".join(PROVENANCES.values())
    raise QueryError(f"Invalid {param} '{raw}', choices are: {choices}.")


INSERTION_FILTERS = Listing(
    _INSERTION,
    (
        *_session_params(_of_session),
        Param("name", equals("name"), "The insertion's name, e.g. probe00."),
        Param("model", equals("model"), "The probe model."),
        Param("serial", equals("serial"), "The probe's serial number."),
        Param("id", equals("id"), "The insertion's UUID."),
        Param("lab", _of_session(equals_any_case("lab_name")), "The session's lab (any case)."),
        Param("project", _of_session(contains("project_name")), "Part of a project's name."),
        Param(
            "task_protocol", _of_session(contains("task_protocol")), "Part of the task protocol."
        ),
        *ATLAS_PARAMS,
    ),
    django={
        "pk": "id",
        "id": "id",
        "name": "name",
        "model": "model",
        "serial": "serial",
        "session": "session_id",
        "session__id": "session_id",
        "auto_datetime": "updated_at",
    },
)
TRAJECTORY_FILTERS = Listing(
    _TRAJECTORY,
    (
        Param(
            "provenance", _provenance, f"How it was estimated: {', '.join(PROVENANCES.values())}."
        ),
        *_session_params(_of_insertion_session),
        Param(
            "project",
            _of_insertion_session(equals("project_name")),
            "The name of one of the session's projects.",
        ),
        Param(
            "probe",
            through("probe_insertion_id", _INSERTION, equals("name")),
            "The insertion's name, e.g. probe00.",
        ),
        Param("probe_insertion", equals("probe_insertion_id"), "The insertion's UUID."),
        Param("id", equals("id"), "The trajectory's UUID."),
        *(
            Param(name, equals(name), f"Its {name}, exactly.", "number")
            for name in ("x", "y", "z", "depth", "theta", "phi", "roll")
        ),
    ),
    django={
        "pk": "id",
        "id": "id",
        "probe_insertion": "probe_insertion_id",
        "probe_insertion__id": "probe_insertion_id",
        "provenance": "provenance",
        **{name: name for name in ("x", "y", "z", "depth", "theta", "phi", "roll")},
    },
)
BRAIN_REGION_FILTERS = Listing(
    _REGION,
    (
        Param("id", equals("id"), "The atlas id, e.g. 385.", "integer"),
        Param("acronym", equals_any_case("acronym"), "The acronym (any case)."),
        Param("description", contains("description"), "Part of its description."),
        Param("name", contains("name"), "Part of its name."),
        Param("parent", equals("parent_id"), "A parent's atlas id: its children.", "integer"),
    ),
    django={
        "pk": "id",
        "id": "id",
        "acronym": "acronym",
        "name": "name",
        "description": "description",
        "parent": "parent_id",
        "parent__id": "parent_id",
        "level": "level",
    },
    iexact=frozenset({"acronym", "name"}),
)
