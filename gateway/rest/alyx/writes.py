"""Alyx request bodies turned into the unified values the experiments resolvers take.

Alyx names related rows by slug (subjects by nickname, labs and projects by name, users by
username or email); each slug is looked up here through the request's loaders, so a row the
caller may not see is reported like a missing one. Validation, permissions and the writes
themselves are the resolvers' (:mod:`resolvers.experiments`); their field errors come back
under the Alyx field names.

Like Django REST framework, read-only fields in a body are ignored, so a record that was read
can be sent back; a field Alyx has but neurogate does not store is accepted only when blank.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Table

from gateway.db.models import Laboratory, Project, Species, Strain, Subject, User, table
from gateway.errors import BadRequest
from resolvers import declared, experiments
from resolvers.catalog import LABORATORY
from resolvers.context import Context

Convert = Callable[[Context, str, Any], Awaitable[Any]]

QC_VALUES = {"NOT_SET": 0, "PASS": 10, "WARNING": 30, "FAIL": 40, "CRITICAL": 50}


async def _as_is(ctx: Context, name: str, value: Any) -> Any:
    return value


async def _text(ctx: Context, name: str, value: Any) -> Any:
    return "" if value is None else value  # Alyx's blank is null; the resolvers store ""


async def _json(ctx: Context, name: str, value: Any) -> Any:
    return {} if value is None else value


_DRF_INTEGER = re.compile(r"-?\d+(\.0*)?")


async def _integer(ctx: Context, name: str, value: Any) -> Any:
    """Django REST framework's IntegerField also takes an integer written as text: ONE's
    RegistrationClient sends a session's number as the path has it ("001")."""
    if isinstance(value, str) and _DRF_INTEGER.fullmatch(value.strip()):
        return int(float(value.strip()))
    return value


async def _genotype(ctx: Context, name: str, value: Any) -> Any:
    """A list of alleles (or of ``{allele, zygosity}``, as the detail view shows them)."""
    if value is None:
        return ""
    if isinstance(value, list):
        alleles = [item.get("allele") if isinstance(item, dict) else item for item in value]
        if not all(isinstance(a, str) for a in alleles):
            raise BadRequest("Expected a list of alleles.", field=name)
        return ", ".join(str(a) for a in alleles)
    return value


async def _qc(ctx: Context, name: str, value: Any) -> Any:
    if isinstance(value, str) and value.upper() in QC_VALUES:
        return QC_VALUES[value.upper()]
    if value in QC_VALUES.values():
        return value
    raise BadRequest(f'"{value}" is not a valid choice ({", ".join(QC_VALUES)}).', field=name)


async def _find(ctx: Context, tbl: Table, columns: tuple[str, ...], value: Any) -> Row[Any]:
    if isinstance(value, str) and value.strip():
        for column in columns:
            row = await ctx.loaders.by_key(tbl, column).load(value.strip())
            if row is not None:
                return row  # type: ignore[no-any-return]
    raise LookupError(value)


def slug(tbl: Table, *columns: str) -> Convert:
    """A related row named by one of ``columns`` -> its id."""

    async def convert(ctx: Context, name: str, value: Any) -> Any:
        if value is None:
            return None
        try:
            return (await _find(ctx, tbl, columns, value)).id
        except LookupError:
            raise BadRequest(
                f"Object with {columns[0]}={value} does not exist.", field=name
            ) from None

    return convert


def slugs(tbl: Table, *columns: str) -> Convert:
    """A list of related rows named by one of ``columns`` -> their ids."""
    one = slug(tbl, *columns)

    async def convert(ctx: Context, name: str, value: Any) -> Any:
        if value is None:
            return []
        if isinstance(value, str):
            value = [item for item in value.split(",") if item.strip()]
        # Each item names a row: null, a number or a blank is no name (and would otherwise
        # be dropped or looked up as something it is not).
        if not isinstance(value, list) or not all(
            isinstance(item, str) and item.strip() for item in value
        ):
            raise BadRequest(f"Expected a list of {columns[0]}s.", field=name)
        return [await one(ctx, name, item) for item in value]

    return convert


@dataclass(frozen=True)
class Fields:
    """An Alyx serializer's fields: where each writable one goes, and which are read-only or
    not stored here."""

    writable: Mapping[str, tuple[str, Convert]]  # Alyx name -> (unified name, converter)
    read_only: frozenset[str]
    not_stored: frozenset[str]
    accepted: frozenset[str]  # the unified names the resolver takes

    def alyx_name(self, unified: str) -> str:
        return next((k for k, (u, _) in self.writable.items() if u == unified), unified)

    async def values(self, ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, value in body.items():
            if name in self.read_only:
                continue
            if name in self.not_stored or (
                name in self.writable and self.writable[name][0] not in self.accepted
            ):
                if value not in (None, "", [], {}):
                    raise BadRequest("This server does not store this field.", field=name)
                continue
            target = self.writable.get(name)
            if target is None:
                raise BadRequest("Unknown field.", field=name)
            unified, convert = target
            values[unified] = await convert(ctx, name, value)
        return values

    async def run(self, call: Awaitable[Row[Any]]) -> Row[Any]:
        """Await a resolver's write, naming its field errors the Alyx way."""
        try:
            return await call
        except BadRequest as error:
            if error.field is None:
                raise
            raise BadRequest(error.message, field=self.alyx_name(error.field)) from error


_projects = slugs(table(Project), "name")
_lab = slug(table(Laboratory), "name")

SUBJECT = Fields(
    writable={
        "nickname": ("nickname", _as_is),
        "description": ("description", _text),
        "sex": ("sex", _as_is),
        "birth_date": ("birth_date", _as_is),
        "death_date": ("death_date", _as_is),
        "genotype": ("genotype", _genotype),
        "line": ("genetic_line", _text),
        "strain": ("strain_id", slug(table(Strain), "name")),
        "species": ("species_id", slug(table(Species), "name")),
        "projects": ("project_ids", _projects),
        "lab": ("lab_id", _lab),
        "responsible_user": ("responsible_user_id", slug(table(User), "username", "email")),
        "json": ("extra_fields", _json),
    },
    read_only=frozenset(
        {
            "id",
            "url",
            "age_weeks",
            "alive",
            "session_projects",
            "reference_weight",
            "last_water_restriction",
            "expected_water",
            "remaining_water",
            "weighings",
            "water_administrations",
        }
    ),
    not_stored=frozenset({"litter", "source", "cage", "ear_mark", "protocol_number", "wean_date"}),
    accepted=frozenset(experiments.SUBJECT_RULES),
)
SESSION = Fields(
    writable={
        "subject": ("subject_id", slug(table(Subject), "nickname")),
        "users": ("user_ids", slugs(table(User), "username", "email")),
        "lab": ("lab_id", _lab),
        "projects": ("project_ids", _projects),
        "name": ("name", _text),
        "type": ("type", _text),
        "task_protocol": ("task_protocol", _text),
        "number": ("number", _integer),
        "start_time": ("start_time", _as_is),
        "end_time": ("end_time", _as_is),
        "narrative": ("narrative", _text),
        "n_trials": ("n_trials", _integer),
        "n_correct_trials": ("n_correct_trials", _integer),
        "qc": ("qc", _qc),
        "json": ("extra_fields", _json),
    },
    read_only=frozenset(
        {
            "id",
            "url",
            "auto_datetime",
            "data_dataset_session_related",
            "wateradmin_session_related",
            "probe_insertion",
            "field_of_view",
            "notes",
        }
    ),
    not_stored=frozenset({"location", "procedures", "parent_session", "extended_qc"}),
    accepted=frozenset(experiments.SESSION_RULES),
)

# Labs and projects (administrators only: :mod:`.endpoints`).
LAB = Fields(
    writable={
        "name": ("name", _as_is),
        "institution": ("institution", _text),
        "address": ("address", _text),
        "timezone": ("timezone", _as_is),
        "json": ("json_data", _as_is),
    },
    # Computed here (no repositories, no weighing thresholds): ignored, as read-only fields are.
    read_only=frozenset({"id", "url", "repositories", "reference_weight_pct", "zscore_weight_pct"}),
    not_stored=frozenset(),
    accepted=frozenset(declared.rules(LABORATORY)),
)


async def _project_users(ctx: Context, name: str, value: Any) -> Any:
    """Alyx's project ``users`` (usernames) as the project's members, who may change what it
    holds (Alyx's project users do); one already a member (its creator, a manager) keeps
    their role."""
    if value is None:
        return {}
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise BadRequest("Expected a list of usernames.", field=name)
    return {username.strip(): {"can_change": True, "keep": True} for username in value}


PROJECT = Fields(
    writable={
        "name": ("name", _as_is),
        "description": ("description", _text),
        "users": ("members", _project_users),
    },
    read_only=frozenset({"id", "url"}),
    not_stored=frozenset(),
    accepted=frozenset({*experiments.PROJECT_RULES, "members"}),
)


def _storable(value: Any) -> bool:
    if isinstance(value, dict):
        return all(_storable(item) for item in value.values())
    if isinstance(value, list):
        return all(_storable(item) for item in value)
    if isinstance(value, int) and not isinstance(value, bool):
        return experiments.storable_number(value)
    return True


async def _json_object(ctx: Context, name: str, value: Any) -> Any:
    """Any JSON object (or null), whose numbers fit in 64 bits."""
    if value is not None and not isinstance(value, dict):
        raise BadRequest("Expected a JSON object.", field=name)
    if not _storable(value):
        raise BadRequest("Numbers must fit in 64 bits.", field=name)
    return value


async def _flag(ctx: Context, name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise BadRequest("Must be a valid boolean.", field=name)
    return value


# FileRecordSerializer: ONE notes a hash mismatch in ``json``; the rest is register-file's.
FILE_RECORD = Fields(
    writable={"json": ("json_data", _json_object), "exists": ("exists", _flag)},
    read_only=frozenset({"url", "id", "dataset", "data_repository", "relative_path"}),
    not_stored=frozenset({"name"}),
    accepted=frozenset({"json_data", "exists"}),
)
