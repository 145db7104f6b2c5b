"""Experiments: create, change and delete projects, subjects and sessions.

Who may: any signed-in user creates a project and becomes its manager; the project's editors
and managers change it and the subjects and sessions it owns; only its managers delete it or
change its members; admins may do anything (``gateway.auth.permissions``). A row the caller may
not see is the same :class:`NotFound` as a missing one.

A session belongs to one or more projects, a subject to none or more (as in Alyx: a subject
belongs to its lab, which its lab's members then see and change). The first one given is the
*owning* project (``project_id``, which decides who sees and changes it); every one, the
owner included, is also listed in ``subject_project`` / ``session_project``.

Values come in as a mapping of the unified field names (``nickname``, ``narrative``,
``start_time``, ``project_ids`` …) and are validated here, each problem a :class:`BadRequest`
naming its field. Each write is one transaction.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, Row, Table, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.auth.permissions import (
    ProjectRole,
    editable,
    managed_project_ids,
    require_authenticated,
)
from gateway.auth.visibility import caller_lab_ids, readable_columns, visible
from gateway.db.engine import write_transaction
from gateway.db.models import (
    ConnectomeDataset,
    LabMembership,
    Laboratory,
    Project,
    ProjectMember,
    Session,
    SessionProject,
    SessionUser,
    Species,
    Strain,
    Subject,
    SubjectProject,
    User,
    table,
)
from gateway.db.models.experiments import SubjectSex, SubjectStatus
from gateway.errors import BadRequest, Conflict, Forbidden, NotFound
from resolvers.context import Context
from resolvers.query import INT_RANGES, Kind

Parser = Callable[[str, Any], Any]

_projects, _members, _users = table(Project), table(ProjectMember), table(User)
_subjects, _sessions, _session_users = table(Subject), table(Session), table(SessionUser)
_strains, _species, _labs = table(Strain), table(Species), table(Laboratory)
_lab_members = table(LabMembership)
EXTRA_FIELD_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
TAG_MAX = 100


class Mode(Enum):
    """How a write treats the fields it is not given."""

    CREATE = "create"  # defaults (required fields must be given)
    REPLACE = "replace"  # like CREATE: a complete replacement (HTTP PUT)
    PATCH = "patch"  # left as they are


# --- field parsers: (field name, raw value) -> clean value, or BadRequest naming the field ---


def text(max_length: int | None = None, *, required: bool = False) -> Parser:
    def parse(name: str, value: Any) -> str:
        if not isinstance(value, str):
            raise BadRequest("Not a valid string.", field=name)
        value = value.strip()
        if required and not value:
            raise BadRequest("This field may not be blank.", field=name)
        if max_length is not None and len(value) > max_length:
            raise BadRequest(
                f"Ensure this field has no more than {max_length} characters.", field=name
            )
        return value

    return parse


def choice(*options: str) -> Parser:
    def parse(name: str, value: Any) -> str:
        if value not in options:
            raise BadRequest(f'"{value}" is not a valid choice ({", ".join(options)}).', field=name)
        return value  # type: ignore[no-any-return]

    return parse


def boolean(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise BadRequest("Must be a valid boolean.", field=name)
    return value


def optional_integer(name: str, value: Any) -> int | None:
    """A whole number an INTEGER column can hold (32 bits: PostgreSQL's width)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest("A valid integer is required.", field=name)
    low, high = INT_RANGES[Kind.INT]
    if value < low:
        raise BadRequest(f"Ensure this value is greater than or equal to {low}.", field=name)
    if value > high:
        raise BadRequest(f"Ensure this value is less than or equal to {high}.", field=name)
    return value


def optional_date(name: str, value: Any) -> date | None:
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value  # None, or a date a surface has already parsed (GraphQL's Date)
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise BadRequest("Date has wrong format. Use YYYY-MM-DD.", field=name) from exc


def optional_datetime(name: str, value: Any) -> datetime | None:
    """ISO 8601 (or a datetime a surface has already parsed); an offset is converted to
    UTC, which is how timestamps are stored."""
    if value is None:
        return None
    try:
        parsed = (
            value
            if isinstance(value, datetime)
            else datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        )
    except (AttributeError, TypeError, ValueError) as exc:
        raise BadRequest("Datetime has wrong format. Use ISO 8601.", field=name) from exc
    offset = parsed.utcoffset()
    return (parsed - offset if offset else parsed).replace(tzinfo=None)


def optional_key(name: str, value: Any) -> uuid.UUID | None:
    if value is None:
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise BadRequest(f'"{value}" is not a valid UUID.', field=name) from exc


def project_keys(name: str, value: Any) -> list[uuid.UUID]:
    if not isinstance(value, list) or not value:
        raise BadRequest("Give a non-empty list of project ids.", field=name)
    keys = [optional_key(name, item) for item in value]
    if None in keys:
        raise BadRequest("A project id may not be null.", field=name)
    return list(dict.fromkeys(k for k in keys if k is not None))


def optional_project_keys(name: str, value: Any) -> list[uuid.UUID]:
    """Project ids, possibly none (a subject belongs to its lab; projects are optional)."""
    return [] if value is None or value == [] else project_keys(name, value)


def user_keys(name: str, value: Any) -> list[int]:
    """User ids (numbers, or their text as GraphQL's ``ID`` sends them), each once."""
    if not isinstance(value, list):
        raise BadRequest("Give a list of user ids.", field=name)
    keys = []
    for item in value:
        text = str(item).strip() if isinstance(item, int | str) else ""
        if isinstance(item, bool) or not text.isdigit():
            raise BadRequest(f'"{item}" is not a valid user id.', field=name)
        keys.append(optional_integer(name, int(text)))
    return list(dict.fromkeys(k for k in keys if k is not None))


def tags(name: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise BadRequest("Expected a list of strings.", field=name)
    cleaned = list(dict.fromkeys(t.strip() for t in value if t.strip()))
    if any(len(t) > TAG_MAX for t in cleaned):
        raise BadRequest(f"Tags have at most {TAG_MAX} characters.", field=name)
    return cleaned


def extra_fields(name: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadRequest("Expected an object of extra fields.", field=name)
    for key, item in value.items():
        if not EXTRA_FIELD_KEY.fullmatch(key):
            raise BadRequest(
                f"Invalid key '{key}': start with a letter, then letters, digits or _.",
                field=name,
            )
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise BadRequest(f"The value of '{key}' must be a string or a number.", field=name)
        if not storable_number(item):
            raise BadRequest(
                f"The value of '{key}' is out of range: numbers must fit in 64 bits.",
                field=name,
            )
    return dict(value)


def storable_number(item: str | int | float) -> bool:
    """Whether a JSON value can be stored and sent back (a JSON encoder refuses integers
    past 64 bits and numbers that are not finite)."""
    if isinstance(item, int):
        low, high = INT_RANGES[Kind.BIGINT]
        return low <= item <= high
    return not isinstance(item, float) or math.isfinite(item)


def members(name: str, value: Any) -> dict[str, dict[str, Any]]:
    """``{email or username: {"is_manager", "can_change", "is_owner", "remove", "keep"}}``;
    ``keep``: one already a member keeps their role (Alyx's project ``users`` add members)."""
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise BadRequest("Expected an object of members and their roles.", field=name)
    for who, flags in value.items():
        for flag, setting in flags.items():
            if flag not in {"is_manager", "can_change", "is_owner", "remove", "keep"}:
                raise BadRequest(f"Unknown member setting '{flag}' for {who}.", field=name)
            if not isinstance(setting, bool):
                raise BadRequest(f"'{flag}' of {who} must be true or false.", field=name)
    return dict(value)


# A session's quality (Alyx's QC enum): not set, pass, warning, fail, critical.
QUALITY_LEVELS = (0, 10, 30, 40, 50)


def quality(name: str, value: Any) -> int:
    if isinstance(value, bool) or value not in QUALITY_LEVELS:
        levels = ", ".join(map(str, QUALITY_LEVELS))
        raise BadRequest(f'"{value}" is not a valid quality ({levels}).', field=name)
    return value  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Rule:
    parse: Parser
    default: Callable[[], Any] = lambda: None
    required: bool = False


def _blank() -> str:
    return ""


PROJECT_RULES: Mapping[str, Rule] = {
    "name": Rule(text(200, required=True), required=True),
    "description": Rule(text(), _blank),
    "is_public": Rule(boolean, lambda: False),
    "tags": Rule(tags, list),
    "extra_fields": Rule(extra_fields, dict),
}
SUBJECT_RULES: Mapping[str, Rule] = {
    "nickname": Rule(text(100, required=True), required=True),
    "project_ids": Rule(optional_project_keys, list),
    "description": Rule(text(), _blank),
    "sex": Rule(choice(*SubjectSex), lambda: SubjectSex.U.value),
    "birth_date": Rule(optional_date),
    "death_date": Rule(optional_date),
    "genotype": Rule(text(200), _blank),
    "genetic_line": Rule(text(100), _blank),
    "status": Rule(choice(*SubjectStatus), lambda: SubjectStatus.ACTIVE.value),
    "strain_id": Rule(optional_key),
    "species_id": Rule(optional_key),
    "lab_id": Rule(optional_key),
    "responsible_user_id": Rule(optional_integer),
    "extra_fields": Rule(extra_fields, dict),
}
SESSION_RULES: Mapping[str, Rule] = {
    "name": Rule(text(100), _blank),
    "project_ids": Rule(project_keys, required=True),
    "narrative": Rule(text(), _blank),
    "type": Rule(text(255), lambda: "Experiment"),
    "number": Rule(optional_integer),
    "task_protocol": Rule(text(1023), _blank),
    "start_time": Rule(optional_datetime),
    "end_time": Rule(optional_datetime),
    "subject_id": Rule(optional_key),
    "lab_id": Rule(optional_key),
    "n_trials": Rule(optional_integer),
    "n_correct_trials": Rule(optional_integer),
    "qc": Rule(quality, lambda: 0),
    # Its experimenters; none given, its creator (as Alyx defaults them).
    "user_ids": Rule(user_keys, list),
    "extra_fields": Rule(extra_fields, dict),
}


def clean(
    rules: Mapping[str, Rule], values: Mapping[str, Any], mode: Mode, *, also: Sequence[str] = ()
) -> dict[str, Any]:
    """``values`` checked against ``rules``; defaults filled in unless patching. Names in
    ``also`` pass through untouched (the caller handles them)."""
    unknown = set(values) - set(rules) - set(also)
    if unknown:
        raise BadRequest("Unknown field.", field=sorted(unknown)[0])
    cleaned: dict[str, Any] = {}
    for name, rule in rules.items():
        if name in values:
            cleaned[name] = rule.parse(name, values[name])
        elif mode is not Mode.PATCH:
            if rule.required:
                raise BadRequest("This field is required.", field=name)
            cleaned[name] = rule.default()
    return cleaned


# --- what the caller may see and change --------------------------------------------------------


@dataclass(frozen=True)
class Writable:
    """One of the three tables written here, with what its rows are called in messages."""

    label: str
    table: Table
    rules: Mapping[str, Rule]
    unique: str | None = None  # a column whose values must be unique
    links: Table | None = None  # its project links
    link_key: str = ""  # the links' column naming the row
    extra: tuple[str, ...] = ()  # further values a write takes (handled by the function)


PROJECT = Writable("Project", _projects, PROJECT_RULES, unique="name", extra=("members",))
SUBJECT = Writable(
    "Subject", _subjects, SUBJECT_RULES, "nickname", table(SubjectProject), "subject_id"
)
SESSION = Writable("Session", _sessions, SESSION_RULES, None, table(SessionProject), "session_id")


def _key(kind: Writable, value: Any) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError as exc:
        raise NotFound(f"{kind.label} not found.") from exc


async def _read(conn: AsyncConnection, kind: Writable, key: uuid.UUID) -> Row[Any]:
    query = select(*readable_columns(kind.table)).where(kind.table.c.id == key)
    return (await conn.execute(query)).one()


async def _visible(conn: AsyncConnection, ctx: Context, kind: Writable, key: uuid.UUID) -> Row[Any]:
    query = select(*readable_columns(kind.table)).where(kind.table.c.id == key)
    rule = visible(kind.table, ctx.principal)
    row = (await conn.execute(query if rule is None else query.where(rule))).first()
    if row is None:
        raise NotFound(f"{kind.label} not found.")
    return row


async def _holds(
    conn: AsyncConnection, tbl: Table, key: uuid.UUID, rule: ColumnElement[bool] | None
) -> bool:
    if rule is None:
        return True
    return (await conn.execute(select(tbl.c.id).where(tbl.c.id == key, rule))).first() is not None


async def _changeable(
    conn: AsyncConnection, ctx: Context, kind: Writable, key: uuid.UUID
) -> Row[Any]:
    """The row, if the caller may see it (else NotFound) and change it (else Forbidden)."""
    row = await _visible(conn, ctx, kind, key)
    if not await _holds(conn, kind.table, key, editable(kind.table, ctx.principal)):
        raise Forbidden(f"You may not change this {kind.label.lower()}.")
    return row


async def _check_projects(
    conn: AsyncConnection, ctx: Context, keys: Sequence[uuid.UUID], *, added: Sequence[uuid.UUID]
) -> None:
    """Every project must exist for the caller (a hidden one is reported like a missing one);
    the caller must be allowed to change each project a row is ``added`` to."""
    shown = select(_projects.c.id).where(_projects.c.id.in_(keys))
    rule = visible(_projects, ctx.principal)
    found = set((await conn.execute(shown if rule is None else shown.where(rule))).scalars())
    for key in keys:
        if key not in found:
            raise BadRequest(f'Invalid pk "{key}" - object does not exist.', field="project_ids")
    may_edit = editable(_projects, ctx.principal)
    if added and may_edit is not None:
        query = select(_projects.c.id).where(_projects.c.id.in_(added), may_edit)
        allowed = set((await conn.execute(query)).scalars())
        for key in added:
            if key not in allowed:
                raise Forbidden(f"You may not add records to project {key}.")


async def _check_unique(
    conn: AsyncConnection, kind: Writable, values: Mapping[str, Any], key: uuid.UUID | None = None
) -> None:
    if kind.unique is None or kind.unique not in values:
        return
    column = kind.table.c[kind.unique]
    clash = select(kind.table.c.id).where(column == values[kind.unique])
    if key is not None:
        clash = clash.where(kind.table.c.id != key)
    if (await conn.execute(clash)).first() is not None:
        raise BadRequest(
            f"A {kind.label.lower()} with this {kind.unique} already exists.", field=kind.unique
        )


async def _check_references(
    conn: AsyncConnection, ctx: Context, values: dict[str, Any], current: Row[Any] | None = None
) -> None:
    """Referenced rows exist; a subject's species follows its strain."""
    for name, tbl in (
        ("strain_id", _strains),
        ("species_id", _species),
        ("lab_id", _labs),
        ("responsible_user_id", _users),
    ):
        key = values.get(name)
        if (
            key is not None
            and (await conn.execute(select(tbl.c.id).where(tbl.c.id == key))).first() is None
        ):
            raise BadRequest(f'Invalid pk "{key}" - object does not exist.', field=name)
    strain = values.get("strain_id", getattr(current, "strain_id", None))
    if strain is not None and ("strain_id" in values or "species_id" in values):
        query = select(_strains.c.species_id).where(_strains.c.id == strain)
        species_id = (await conn.execute(query)).scalar_one()
        if values.get("species_id") not in (None, species_id):
            raise BadRequest("The species must be the strain's species.", field="species_id")
        values["species_id"] = species_id
    subject = values.get("subject_id")
    if subject is not None:
        try:
            await _visible(conn, ctx, SUBJECT, subject)
        except NotFound as exc:
            raise BadRequest(
                f'Invalid pk "{subject}" - object does not exist.', field="subject_id"
            ) from exc


async def _set_experimenters(
    conn: AsyncConnection, ctx: Context, key: uuid.UUID, user_ids: Sequence[int]
) -> None:
    """A session's experimenters become ``user_ids`` (each an active user)."""
    if user_ids:
        query = select(_users.c.id).where(_users.c.id.in_(user_ids), _users.c.is_active)
        found = set((await conn.execute(query)).scalars())
        for user_id in user_ids:
            if user_id not in found:
                missing = f'Invalid pk "{user_id}" - object does not exist.'
                raise BadRequest(missing, field="user_ids")
    await conn.execute(delete(_session_users).where(_session_users.c.session_id == key))
    if user_ids:
        await conn.execute(
            insert(_session_users), [{"session_id": key, "user_id": u} for u in user_ids]
        )


async def _link_projects(
    conn: AsyncConnection, kind: Writable, key: uuid.UUID, project_ids: Sequence[uuid.UUID]
) -> None:
    assert kind.links is not None
    await conn.execute(delete(kind.links).where(kind.links.c[kind.link_key] == key))
    if project_ids:
        await conn.execute(
            insert(kind.links), [{kind.link_key: key, "project_id": p} for p in project_ids]
        )


async def _linked_projects(conn: AsyncConnection, kind: Writable, row: Row[Any]) -> list[uuid.UUID]:
    assert kind.links is not None
    query = select(kind.links.c.project_id).where(kind.links.c[kind.link_key] == row.id)
    linked = [row.project_id, *(await conn.execute(query)).scalars()]
    return list(dict.fromkeys(p for p in linked if p is not None))


async def _check_lab_of_projectless(
    conn: AsyncConnection, ctx: Context, lab_id: uuid.UUID | None
) -> None:
    """A subject without a project belongs to its lab: it needs one, of which the caller
    is a member (admins: any lab)."""
    if lab_id is None:
        raise BadRequest("A subject without projects needs a lab.", field="lab_id")
    if ctx.principal.is_admin:
        return
    member = select(_lab_members.c.lab_id).where(
        _lab_members.c.lab_id == lab_id,
        _lab_members.c.lab_id.in_(caller_lab_ids(ctx.principal)),
    )
    if (await conn.execute(member)).first() is None:
        raise Forbidden("Only the lab's members may add a subject to it without a project.")


@asynccontextmanager
async def _unique_clash_as_bad_request(
    conn: AsyncConnection, kind: Writable
) -> AsyncIterator[None]:
    """A concurrent write that took the unique value after it was checked: the same 400."""
    if kind.unique is None:
        yield
        return
    try:
        async with conn.begin_nested():
            yield
    except IntegrityError as exc:
        raise BadRequest(
            f"A {kind.label.lower()} with this {kind.unique} already exists.", field=kind.unique
        ) from exc


# Alyx's ``default_species()``: the laboratory mouse, made on first use with Alyx's own key.
DEFAULT_SPECIES_ID = uuid.UUID("60f915ba-bdf4-444a-ada0-be7ebd3c1826")
DEFAULT_SPECIES_NAME, DEFAULT_SPECIES_SCIENTIFIC_NAME = "Laboratory mouse", "Mus musculus"


async def _default_species(conn: AsyncConnection, now: datetime) -> uuid.UUID:
    """The key of Alyx's default species (by its key, else its name), created when missing."""
    query = select(_species.c.id).where(
        (_species.c.id == DEFAULT_SPECIES_ID) | (_species.c.name == DEFAULT_SPECIES_NAME)
    )
    found = (await conn.execute(query.order_by(_species.c.id != DEFAULT_SPECIES_ID))).first()
    if found is not None:
        return found.id  # type: ignore[no-any-return]
    try:
        async with conn.begin_nested():
            await conn.execute(
                insert(_species).values(
                    id=DEFAULT_SPECIES_ID,
                    name=DEFAULT_SPECIES_NAME,
                    scientific_name=DEFAULT_SPECIES_SCIENTIFIC_NAME,
                    created_at=now,
                    updated_at=now,
                )
            )
    except IntegrityError:  # a concurrent write made it first
        return (await conn.execute(query)).scalars().one()  # type: ignore[no-any-return]
    return DEFAULT_SPECIES_ID


async def _insert(conn: AsyncConnection, kind: Writable, values: Mapping[str, Any]) -> uuid.UUID:
    async with _unique_clash_as_bad_request(conn, kind):
        result = await conn.execute(insert(kind.table).values(**values).returning(kind.table.c.id))
    return result.scalar_one()  # type: ignore[no-any-return]


async def _update(
    conn: AsyncConnection, ctx: Context, kind: Writable, key: uuid.UUID, values: Mapping[str, Any]
) -> None:
    async with _unique_clash_as_bad_request(conn, kind):
        await conn.execute(
            update(kind.table).where(kind.table.c.id == key).values(**values, updated_at=ctx.now())
        )


# --- projects ----------------------------------------------------------------------------------


async def create_project(ctx: Context, *, values: Mapping[str, Any]) -> Row[Any]:
    """A new project; its creator becomes its owner and manager."""
    creator = require_authenticated(ctx.principal)
    cleaned = clean(PROJECT_RULES, values, Mode.CREATE, also=PROJECT.extra)
    now = ctx.now()
    async with write_transaction(ctx.sessionmaker) as conn:
        await _check_unique(conn, PROJECT, cleaned)
        key = await _insert(conn, PROJECT, {**cleaned, "created_at": now, "updated_at": now})
        await conn.execute(
            insert(_members).values(
                project_id=key, user_id=creator, role=ProjectRole.MANAGER.value, is_owner=True
            )
        )
        if "members" in values:
            await _change_members(conn, ctx, key, members("members", values["members"]))
        return await _read(conn, PROJECT, key)


async def update_project(
    ctx: Context, *, project_id: Any, values: Mapping[str, Any], mode: Mode = Mode.PATCH
) -> Row[Any]:
    """Change a project (editors and managers); ``members`` changes need a manager."""
    require_authenticated(ctx.principal)
    key = _key(PROJECT, project_id)
    cleaned = clean(PROJECT_RULES, values, mode, also=PROJECT.extra)
    async with write_transaction(ctx.sessionmaker) as conn:
        await _changeable(conn, ctx, PROJECT, key)
        await _check_unique(conn, PROJECT, cleaned, key)
        await _update(conn, ctx, PROJECT, key, cleaned)
        if "members" in values:
            await _change_members(conn, ctx, key, members("members", values["members"]))
        return await _read(conn, PROJECT, key)


async def delete_project(ctx: Context, *, project_id: Any) -> None:
    """Delete a project with the subjects and sessions it owns: its managers only."""
    require_authenticated(ctx.principal)
    key = _key(PROJECT, project_id)
    async with write_transaction(ctx.sessionmaker) as conn:
        await _visible(conn, ctx, PROJECT, key)
        await _require_manager(conn, ctx, key)
        # A connectome dataset private to the project would turn public without it.
        datasets = table(ConnectomeDataset)
        held = select(datasets.c.name).where(datasets.c.project_id == key).limit(1)
        if (name := await conn.scalar(held)) is not None:
            raise Conflict(
                f"The project holds connectome dataset {name!r}: give it another project or "
                "make it public first (neurogate connectome-access)."
            )
        await conn.execute(delete(_projects).where(_projects.c.id == key))


async def _require_manager(conn: AsyncConnection, ctx: Context, key: uuid.UUID) -> None:
    rule = (
        None if ctx.principal.is_admin else _projects.c.id.in_(managed_project_ids(ctx.principal))
    )
    if not await _holds(conn, _projects, key, rule):
        raise Forbidden("Only the project's managers may do this.")


def _role(flags: Mapping[str, bool]) -> str:
    if flags.get("is_manager"):
        return ProjectRole.MANAGER.value
    if flags.get("can_change"):
        return ProjectRole.EDITOR.value
    return ProjectRole.VIEWER.value


async def _change_members(
    conn: AsyncConnection, ctx: Context, key: uuid.UUID, changes: Mapping[str, Mapping[str, bool]]
) -> None:
    """Add, change or remove members (by email or username); a project keeps a manager."""
    await _require_manager(conn, ctx, key)
    for who, flags in changes.items():
        query = select(_users.c.id).where((_users.c.email == who) | (_users.c.username == who))
        user_id = (await conn.execute(query)).scalar()
        if user_id is None:
            raise BadRequest(f"No user '{who}'.", field="members")
        where = (_members.c.project_id == key) & (_members.c.user_id == user_id)
        if flags.get("keep") and await conn.scalar(select(_members.c.user_id).where(where)):
            continue
        await conn.execute(delete(_members).where(where))
        if not flags.get("remove"):
            await conn.execute(
                insert(_members).values(
                    project_id=key,
                    user_id=user_id,
                    role=_role(flags),
                    is_owner=bool(flags.get("is_owner")),
                )
            )
    managers = select(func.count()).where(
        _members.c.project_id == key, _members.c.role == ProjectRole.MANAGER.value
    )
    if (await conn.execute(managers)).scalar_one() == 0:
        raise BadRequest("A project needs at least one manager.", field="members")


# --- subjects and sessions ---------------------------------------------------------------------


async def _create_member_row(
    ctx: Context, kind: Writable, values: Mapping[str, Any], *, species_by_default: bool = False
) -> Row[Any]:
    require_authenticated(ctx.principal)
    cleaned = clean(kind.rules, values, Mode.CREATE)
    project_ids = cleaned.pop("project_ids")
    user_ids = cleaned.pop("user_ids", None)
    now = ctx.now()
    async with write_transaction(ctx.sessionmaker) as conn:
        await _check_projects(conn, ctx, project_ids, added=project_ids)
        await _check_unique(conn, kind, cleaned)
        await _check_references(conn, ctx, cleaned)
        if not project_ids:  # only a subject may have none (the rules require them else)
            await _check_lab_of_projectless(conn, ctx, cleaned.get("lab_id"))
        if kind is SUBJECT and cleaned.get("responsible_user_id") is None:
            cleaned["responsible_user_id"] = ctx.principal.user_id
        if species_by_default and "species_id" not in values and cleaned.get("strain_id") is None:
            cleaned["species_id"] = await _default_species(conn, now)
        if kind is SESSION and cleaned.get("lab_id") is None and cleaned.get("subject_id"):
            # As Alyx does: a session without a lab is in its subject's lab.
            query = select(_subjects.c.lab_id).where(_subjects.c.id == cleaned["subject_id"])
            cleaned["lab_id"] = (await conn.execute(query)).scalar_one()
        owner = project_ids[0] if project_ids else None
        row = {**cleaned, "project_id": owner, "created_at": now, "updated_at": now}
        key = await _insert(conn, kind, row)
        await _link_projects(conn, kind, key, project_ids)
        if kind is SESSION:
            await _set_experimenters(conn, ctx, key, user_ids or [ctx.principal.user_id])
        return await _read(conn, kind, key)


async def _update_member_row(
    ctx: Context, kind: Writable, key_value: Any, values: Mapping[str, Any], mode: Mode
) -> Row[Any]:
    require_authenticated(ctx.principal)
    key = _key(kind, key_value)
    cleaned = clean(kind.rules, values, mode)
    project_ids = cleaned.pop("project_ids", None)
    # Experimenters change only when given (Alyx's ``users`` is not required, even on PUT).
    user_ids = cleaned.pop("user_ids", None)
    if "user_ids" not in values:
        user_ids = None
    async with write_transaction(ctx.sessionmaker) as conn:
        current = await _changeable(conn, ctx, kind, key)
        if user_ids is not None:
            await _set_experimenters(conn, ctx, key, user_ids)
        if project_ids is not None:
            linked = await _linked_projects(conn, kind, current)
            added = [p for p in project_ids if p not in linked]
            await _check_projects(conn, ctx, project_ids, added=added)
            # The owner stays while it is still listed, so who sees the row does not change.
            if current.project_id in project_ids:
                owner = current.project_id
            else:
                owner = project_ids[0] if project_ids else None
            if owner is None:
                await _check_lab_of_projectless(conn, ctx, cleaned.get("lab_id", current.lab_id))
            cleaned["project_id"] = owner
            kept = [p for p in (owner, *project_ids) if p is not None]
            await _link_projects(conn, kind, key, list(dict.fromkeys(kept)))
        await _check_unique(conn, kind, cleaned, key)
        await _check_references(conn, ctx, cleaned, current)
        await _update(conn, ctx, kind, key, cleaned)
        return await _read(conn, kind, key)


async def _delete_member_row(ctx: Context, kind: Writable, key_value: Any) -> None:
    require_authenticated(ctx.principal)
    key = _key(kind, key_value)
    async with write_transaction(ctx.sessionmaker) as conn:
        await _changeable(conn, ctx, kind, key)
        await conn.execute(delete(kind.table).where(kind.table.c.id == key))


async def create_subject(
    ctx: Context, *, values: Mapping[str, Any], species_by_default: bool = False
) -> Row[Any]:
    """A new subject in ``project_ids`` (the first owns it): editors of each project.

    With ``species_by_default`` (Alyx's semantics), a subject given neither a species nor a
    strain is of Alyx's default species. Elsewhere its species stays unknown: BrainSTEM derives
    it from the strain, and the other surfaces keep animals of every species."""
    return await _create_member_row(ctx, SUBJECT, values, species_by_default=species_by_default)


async def update_subject(
    ctx: Context, *, subject_id: Any, values: Mapping[str, Any], mode: Mode = Mode.PATCH
) -> Row[Any]:
    return await _update_member_row(ctx, SUBJECT, subject_id, values, mode)


async def delete_subject(ctx: Context, *, subject_id: Any) -> None:
    await _delete_member_row(ctx, SUBJECT, subject_id)


async def create_session(ctx: Context, *, values: Mapping[str, Any]) -> Row[Any]:
    """A new session in ``project_ids`` (the first owns it): editors of each project."""
    return await _create_member_row(ctx, SESSION, values)


async def update_session(
    ctx: Context, *, session_id: Any, values: Mapping[str, Any], mode: Mode = Mode.PATCH
) -> Row[Any]:
    return await _update_member_row(ctx, SESSION, session_id, values, mode)


async def delete_session(ctx: Context, *, session_id: Any) -> None:
    await _delete_member_row(ctx, SESSION, session_id)
