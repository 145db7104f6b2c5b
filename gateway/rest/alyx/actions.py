"""Alyx's ``actions`` endpoints as data (cortex-lab/alyx 3.6.1 ``actions/serializers.py``,
``actions/views.py``, ``subjects/serializers.py``): the records of weighings, water
administrations, water restrictions, water types, surgeries and procedure types, their
filters and writable fields, and the water figures a subject's records show, computed by
:class:`resolvers.water.WaterControl` from the rows the subject's include tree reads.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gateway.db.models import Session, Subject, User, WaterType, table
from gateway.rest.alyx import records, writes
from gateway.rest.alyx.fields import (
    NULL,
    Computed,
    Const,
    Env,
    Link,
    Nested,
    Shape,
    Shows,
    Value,
    returns,
)
from gateway.rest.alyx.query import (
    Listing,
    Param,
    day_range,
    each_of,
    equals,
    equals_any_case,
    unrecorded,
)
from gateway.rest.alyx.records import text, timestamp
from resolvers import declared
from resolvers.catalog import ENTITIES
from resolvers.water import WaterControl

_WEIGHING, _ADMINISTRATION = ENTITIES["Weighing"], ENTITIES["WaterAdministration"]
_RESTRICTION, _SURGERY = ENTITIES["WaterRestriction"], ENTITIES["Surgery"]
_SUBJECT = ENTITIES["Subject"]
NOT_RECORDED = "Not recorded by neurogate: a value matches no record."

# --- a subject's water figures (SubjectListSerializer's _WaterRestrictionBaseSerializer) -------

WATER_READS = (
    "nickname",
    "birth_date",
    "lab.timezone",
    "weighings.date_time",
    "weighings.weight",
    "water_administrations.date_time",
    "water_administrations.water_administered",
    "water_administrations.session_id",
    "water_restrictions.start_time",
    "water_restrictions.end_time",
    "water_restrictions.reference_weight",
    "surgeries.start_time",
    "surgeries.implant_weight",
)


def water_control(subject: Any, now: datetime) -> WaterControl:
    """The water control of a subject node read with :data:`WATER_READS`."""
    return WaterControl.of(
        subject.nickname,
        now,
        birth_date=subject.birth_date,
        timezone=None if subject.lab is None else subject.lab.timezone,
        weighings=((w.date_time, w.weight) for w in subject.weighings),
        administrations=(
            (a.date_time, a.water_administered, a.session_id) for a in subject.water_administrations
        ),
        restrictions=(
            (r.start_time, r.end_time, r.reference_weight) for r in subject.water_restrictions
        ),
        implants=((s.start_time, s.implant_weight) for s in subject.surgeries),
    )


def _now(env: Env) -> datetime:
    return env.now or datetime.combine(env.today, datetime.min.time())


@returns({"type": "number"})
def reference_weight(subject: Any, env: Env) -> float:
    """The weight its water is computed from, in grams: the current water restriction's
    (or the last weighing before it), less the implant; 0.0 without one."""
    return water_control(subject, _now(env)).reference_weight()


@returns({"type": "number"})
def expected_water(subject: Any, env: Env) -> float:
    """The water it should get today, in millilitres: 4% of its last weight (5% when
    under its expected weight), less the implant; 0.0 without a weighing."""
    return water_control(subject, _now(env)).expected_water()


@returns({"type": "number"})
def remaining_water(subject: Any, env: Env) -> float:
    """The water still to give it today (expected less given), in millilitres."""
    return water_control(subject, _now(env)).remaining_water()


def drf_datetime(value: datetime | None) -> str | None:
    """A datetime as Django REST framework's JSON encoder writes one a method returns:
    ISO 8601, microseconds cut to milliseconds."""
    if value is None:
        return None
    written = value.isoformat()
    return written[:23] + written[26:] if value.microsecond else written


@returns({"type": "string", "nullable": True})
def last_water_restriction(subject: Any, env: Env) -> str | None:
    """When the water restriction under way started; null when none is."""
    return drf_datetime(water_control(subject, _now(env)).water_restriction_at())


@returns({"type": "number"})
def _reference_weight_pct(subject: Any, env: Env) -> float:
    """The lab's reference weight fraction (0.0: not kept by neurogate)."""
    return water_control(subject, _now(env)).reference_weight_pct


@returns({"type": "number"})
def _zscore_weight_pct(subject: Any, env: Env) -> float:
    """The lab's z-score weight fraction (0.0: not kept by neurogate)."""
    return water_control(subject, _now(env)).zscore_weight_pct


SUBJECT_WATER: dict[str, Shows] = {
    "reference_weight": Computed(reference_weight, WATER_READS),
    "last_water_restriction": Computed(last_water_restriction, WATER_READS),
    "expected_water": Computed(expected_water, WATER_READS),
    "remaining_water": Computed(remaining_water, WATER_READS),
}
# What a subject's water control reads (the water requirement reads nothing else).
WATER_CONTROL = Shape(_SUBJECT, SUBJECT_WATER).include
# WaterRestrictedSubjectListSerializer
WATER_RESTRICTED_SUBJECT = Shape(
    _SUBJECT,
    {
        "nickname": Value("nickname"),
        "url": Link("subject", "nickname"),
        "expected_water": SUBJECT_WATER["expected_water"],
        "remaining_water": SUBJECT_WATER["remaining_water"],
        "reference_weight": SUBJECT_WATER["reference_weight"],
        "last_water_restriction": SUBJECT_WATER["last_water_restriction"],
        "reference_weight_pct": Computed(_reference_weight_pct, WATER_READS),
        "zscore_weight_pct": Computed(_zscore_weight_pct, WATER_READS),
    },
)

# --- records ------------------------------------------------------------------------------

# WeighingDetailSerializer (also a subject's ``weighings``)
WEIGHING_FIELDS: dict[str, Shows] = {
    "subject": Value("subject.nickname"),
    "date_time": Value("date_time", timestamp),
    "weight": Value("weight"),
    "user": Value("user.username"),
    "url": Link("weighing", "id"),
}
WEIGHING = Shape(_WEIGHING, WEIGHING_FIELDS)
# WaterAdministrationDetailSerializer (also a subject's ``water_administrations``)
WATER_ADMINISTRATION_FIELDS: dict[str, Shows] = {
    "subject": Value("subject.nickname"),
    "date_time": Value("date_time", timestamp),
    "water_administered": Value("water_administered"),
    "water_type": Value("water_type.name"),
    "user": Value("user.username"),
    "url": Link("water_administration", "id"),
    "session": Value("session_id", text),
    "adlib": Value("adlib"),
}
WATER_ADMINISTRATION = Shape(_ADMINISTRATION, WATER_ADMINISTRATION_FIELDS)
# SessionWaterAdminSerializer: a session's ``wateradmin_session_related``
SESSION_WATER_ADMINISTRATION: dict[str, Shows] = {
    "id": Value("id", text),
    "name": Const(""),
    "water_type": Value("water_type.name"),
    "water_administered": Value("water_administered"),
}
# WaterRestrictionListSerializer
WATER_RESTRICTION = Shape(
    _RESTRICTION,
    {
        "subject": Value("subject.nickname"),
        "start_time": Value("start_time", timestamp),
        "end_time": Value("end_time", timestamp),
        "water_type": Value("water_type.name"),
        "reference_weight": Value("reference_weight"),
    },
)
# WaterTypeDetailSerializer (a hyperlinked model serializer of every field)
WATER_TYPE = Shape(
    ENTITIES["WaterType"],
    {"url": Link("water_type", "name"), "name": Value("name"), "json": NULL},
)
# ProcedureTypeSerializer (every field)
PROCEDURE_TYPE = Shape(
    ENTITIES["ProcedureType"],
    {
        "id": Value("id", text),
        "name": Value("name"),
        "json": NULL,
        "description": Value("description"),
    },
)


@returns({"type": "array", "items": {"type": "string", "format": "uuid"}})
def _procedure_ids(surgery: Any, env: Env) -> list[str]:
    """The keys of the procedures performed in it (as text: PostgreSQL's are its own type)."""
    return [str(procedure.id) for procedure in surgery.procedures]


@returns({"type": "array", "items": {"type": "string", "format": "uuid"}})
def _user_ids(action: Any, env: Env) -> list[str]:
    """Who did it, by the keys ``/users`` shows (a to-many field of a model serializer)."""
    return [str(user.alyx_id) for user in action.users]


# SurgerySerializer (every field; related rows by key, the subject by nickname)
SURGERY = Shape(
    _SURGERY,
    {
        "id": Value("id", text),
        "subject": Value("subject.nickname"),
        "name": Value("name"),
        "json": NULL,
        "narrative": Value("narrative"),
        "start_time": Value("start_time", timestamp),
        "end_time": Value("end_time", timestamp),
        "outcome_type": Value("outcome_type"),
        "implant_weight": Value("implant_weight"),
        "location": NULL,
        "lab": Value("lab_id", text),
        "users": Computed(_user_ids, ("users.alyx_id",)),
        "procedures": Computed(_procedure_ids, ("procedures.id",)),
    },
)

# --- filters (BaseActionFilter and each model's fields) -------------------------------------


def _action_filters(*params: Param) -> tuple[Param, ...]:
    return (
        Param("subject", equals_any_case("subject_nickname"), "Subject nickname (any case)."),
        Param("nickname", equals_any_case("subject_nickname"), "Subject nickname (any case)."),
        *params,
        Param("id", equals("id"), "Its UUID."),
    )


_ACTION_DJANGO = {"pk": "id", "id": "id", "subject__nickname": "subject_nickname"}

WEIGHING_FILTERS = Listing(
    _WEIGHING,
    _action_filters(
        Param("date_time", equals("date_time"), "When it was weighed, exactly."),
        Param("weight", equals("weight"), "Its weight in grams, exactly.", "number"),
    ),
    django={
        **_ACTION_DJANGO,
        "date_time": "date_time",
        "weight": "weight",
        "user__username": "username",
    },
    iexact=frozenset({"subject__nickname"}),
)
WATER_ADMINISTRATION_FILTERS = Listing(
    _ADMINISTRATION,
    _action_filters(
        Param("date_time", equals("date_time"), "When it was given, exactly."),
        Param("water_administered", equals("water_administered"), "Millilitres.", "number"),
        Param("session", equals("session_id"), "The session's UUID."),
        Param("adlib", equals("adlib"), "Whether it was ad libitum.", "boolean"),
    ),
    django={
        **_ACTION_DJANGO,
        "date_time": "date_time",
        "session": "session_id",
        "session__id": "session_id",
        "water_administered": "water_administered",
        "adlib": "adlib",
        "user__username": "username",
    },
    iexact=frozenset({"subject__nickname"}),
)
WATER_RESTRICTION_FILTERS = Listing(
    _RESTRICTION,
    _action_filters(
        Param("date_range", day_range("start_time"), "YYYY-MM-DD,YYYY-MM-DD, both included."),
        Param("start_time", equals("start_time"), "When it started, exactly."),
        Param("end_time", equals("end_time"), "When it ended, exactly."),
        Param("reference_weight", equals("reference_weight"), "In grams.", "number"),
        Param("users", each_of("username"), "Usernames, comma-separated; all must match."),
        *(Param(name, unrecorded(), NOT_RECORDED) for name in ("lab", "location")),
    ),
    django={
        **_ACTION_DJANGO,
        "start_time": "start_time",
        "end_time": "end_time",
        "reference_weight": "reference_weight",
    },
    iexact=frozenset({"subject__nickname"}),
)
SURGERY_FILTERS = Listing(
    _SURGERY,
    _action_filters(
        Param("date_range", day_range("start_time"), "YYYY-MM-DD,YYYY-MM-DD, both included."),
        Param("start_time", equals("start_time"), "When it started, exactly."),
        Param("end_time", equals("end_time"), "When it ended, exactly."),
        Param("outcome_type", equals("outcome_type"), "a, r or n."),
        Param("implant_weight", equals("implant_weight"), "In grams.", "number"),
        Param("users", each_of("username"), "Usernames, comma-separated; all must match."),
        Param("location", unrecorded(), NOT_RECORDED),
    ),
    django={
        **_ACTION_DJANGO,
        "start_time": "start_time",
        "end_time": "end_time",
        "outcome_type": "outcome_type",
        "implant_weight": "implant_weight",
    },
    iexact=frozenset({"subject__nickname"}),
)
NAME_FILTERS = {
    entity: Listing(
        ENTITIES[entity],
        (Param("name", equals("name"), "Its name."),),
        django={"pk": "id", "id": "id", "name": "name"},
    )
    for entity in ("WaterType", "ProcedureType")
}
NO_FILTERS = Listing(_SUBJECT, (), django={"pk": "id", "id": "id", "nickname": "nickname"})

# --- writable fields ------------------------------------------------------------------------

_subject = writes.slug(table(Subject), "nickname")
_user = writes.slug(table(User), "username", "email")
_water_type = writes.slug(table(WaterType), "name")
_session = writes.slug(table(Session), "id")


async def _as_is(ctx: Any, name: str, value: Any) -> Any:
    return value


WEIGHING_WRITES = writes.Fields(
    writable={
        "subject": ("subject_id", _subject),
        "date_time": ("date_time", _as_is),
        "weight": ("weight", _as_is),
        "user": ("user_id", _user),
    },
    read_only=frozenset({"url", "id"}),
    not_stored=frozenset({"name", "json"}),
    accepted=frozenset(declared.rules(_WEIGHING)),
)
WATER_ADMINISTRATION_WRITES = writes.Fields(
    writable={
        "subject": ("subject_id", _subject),
        "date_time": ("date_time", _as_is),
        "water_administered": ("water_administered", _as_is),
        "water_type": ("water_type_id", _water_type),
        "user": ("user_id", _user),
        "session": ("session_id", _as_is),
        "adlib": ("adlib", _as_is),
    },
    read_only=frozenset({"url", "id"}),
    not_stored=frozenset({"name", "json"}),
    accepted=frozenset(declared.rules(_ADMINISTRATION)),
)

# --- the subject and session records that show them ----------------------------------------

SUBJECT_SUMMARY = records.SUBJECT_SUMMARY.extended(**SUBJECT_WATER)
SUBJECT_DETAIL = records.SUBJECT_DETAIL.extended(
    **SUBJECT_WATER,
    weighings=Nested("weighings", WEIGHING_FIELDS),
    water_administrations=Nested("water_administrations", WATER_ADMINISTRATION_FIELDS),
)
SESSION_DETAIL = records.SESSION_DETAIL.extended(
    wateradmin_session_related=Nested("water_administrations", SESSION_WATER_ADMINISTRATION)
)
