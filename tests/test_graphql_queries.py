"""Reading through GraphQL: every filter operator on every kind of field, ``and`` / ``or``,
ordering, limit/offset and Relay pagination, lookups by key, nested relations, and clear
errors (never a 500) for input the gateway refuses.

Every test arranges its own rows in a real, clean database (SQLite, and PostgreSQL when
NEUROGATE_TEST_POSTGRES_URL is set) and asks the real app over HTTP as an anonymous caller.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.db.models import Brain
from tests.conftest import Gateway
from tests.factories import World, build

Sessionmaker = async_sessionmaker[AsyncSession]
MakeGateway = Callable[..., Awaitable[Gateway]]


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def names(rows: list[dict[str, Any]]) -> list[str]:
    return [row["name"] for row in rows]


async def session_names(
    gateway: Gateway, where: dict[str, Any], variables: dict[str, Any] | None = None
) -> list[str]:
    """The names of the sessions matching ``where`` (passed as a variable), sorted, so a
    test compares exact result *sets* (duplicates would show)."""
    data = await gateway.data(
        "query ($where: SessionWhere) { sessions(where: $where) { name } }",
        {"where": where, **(variables or {})},
    )
    return sorted(names(data["sessions"]))


async def refused(
    gateway: Gateway, query: str, variables: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The errors of a query the gateway must refuse: an HTTP answer (never a 500), with
    ``errors`` that all carry an ``extensions.code`` other than an internal error."""
    response = await gateway.client.post(
        "/graphql", json={"query": query, "variables": variables or {}}
    )
    assert response.status_code in (200, 400), response.text
    body = response.json()
    errors: list[dict[str, Any]] = body.get("errors") or []
    assert errors, body
    for error in errors:
        code = (error.get("extensions") or {}).get("code")
        assert code, error
        assert code != "INTERNAL_SERVER_ERROR", error
        assert error["message"] != "Internal server error.", error
    return errors


def only_error(errors: list[dict[str, Any]], code: str) -> str:
    """The message of the one error, after checking its code."""
    assert len(errors) == 1, errors
    assert errors[0]["extensions"]["code"] == code, errors
    return str(errors[0]["message"])


def z(value: datetime) -> str:
    """A naive UTC datetime as the gateway renders it."""
    return value.isoformat() + "Z"


# --------------------------------------------------------------------------------------------
# A small world of sessions for the filter, combination and ordering tests
# --------------------------------------------------------------------------------------------

JAN1, JAN2, JAN3, JAN4 = (datetime(2024, 1, d, 8, 0) for d in (1, 2, 3, 4))


@dataclass(frozen=True)
class Lab:
    alpha: str
    beta: str
    hidden: str
    subject_one: str
    subject_two: str
    ids: dict[str, str]


async def arrange_sessions(sessionmaker: Sessionmaker) -> Lab:
    """Two public projects with five sessions between them, and a private project whose one
    session matches most filters but must never be returned.

    ======  =======  ======  ==  ==================  ===========  =========
    name    project  number  qc  task_protocol       start_time   subject
    ======  =======  ======  ==  ==================  ===========  =========
    apple   alpha    1       1   Go/NoGo 50%_cue     Jan 1 08:00  SUBJONE
    banana  alpha    2       0   go_nogo v2          Jan 2 08:00  SUBJONE
    cherry  beta     3       1   Reversal 100%       Jan 3 08:00  SUBJTWO
    damson  beta     null    2   passive             Jan 4 08:00  none
    elder   alpha    5       0   GO-NOGO             null         none
    secret  hidden   2       0   go_nogo v2          Jan 5 08:00  none
    ======  =======  ======  ==  ==================  ===========  =========
    """

    async def recipe(world: World) -> Lab:
        alpha = await world.project(name="alpha")
        beta = await world.project(name="beta")
        hidden = await world.project(name="hidden", is_public=False)
        one = await world.subject(alpha, nickname="SUBJONE")
        two = await world.subject(beta, nickname="SUBJTWO")
        rows = [
            ("apple", alpha, 1, 1, "Go/NoGo 50%_cue", JAN1, one.id),
            ("banana", alpha, 2, 0, "go_nogo v2", JAN2, one.id),
            ("cherry", beta, 3, 1, "Reversal 100%", JAN3, two.id),
            ("damson", beta, None, 2, "passive", JAN4, None),
            ("elder", alpha, 5, 0, "GO-NOGO", None, None),
            ("secret", hidden, 2, 0, "go_nogo v2", datetime(2024, 1, 5, 8), None),
        ]
        ids = {}
        for name, project, number, qc, protocol, start, subject_id in rows:
            row = await world.session_row(
                project, name=name, number=number, qc=qc, task_protocol=protocol,
                start_time=start, subject_id=subject_id,
            )
            ids[name] = str(row.id)
        return Lab(str(alpha.id), str(beta.id), str(hidden.id), str(one.id), str(two.id), ids)

    return await build(sessionmaker, recipe)  # type: ignore[no-any-return]


# --------------------------------------------------------------------------------------------
# Filters: strings
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("string_filter", "expected"),
    [
        ({"eq": "cherry"}, ["cherry"]),
        ({"ne": "cherry"}, ["apple", "banana", "damson", "elder"]),
        ({"in": ["apple", "elder", "nothing"]}, ["apple", "elder"]),
        ({"in": []}, []),
        ({"startswith": "ba"}, ["banana"]),
        ({"endswith": "rry"}, ["cherry"]),
        ({"gt": "cherry"}, ["damson", "elder"]),
        ({"gte": "cherry"}, ["cherry", "damson", "elder"]),
        ({"lt": "banana"}, ["apple"]),
        ({"lte": "banana"}, ["apple", "banana"]),
        ({"isNull": False}, ["apple", "banana", "cherry", "damson", "elder"]),
        ({"isNull": True}, []),
    ],
    ids=lambda value: repr(value),
)
async def test_string_filter_operators_on_session_name(
    gateway: Gateway, sessionmaker: Sessionmaker, string_filter: dict[str, Any],
    expected: list[str],
) -> None:
    await arrange_sessions(sessionmaker)
    assert await session_names(gateway, {"name": string_filter}) == expected


async def test_icontains_ignores_case(gateway: Gateway, sessionmaker: Sessionmaker) -> None:
    await arrange_sessions(sessionmaker)
    expected = ["apple", "banana", "elder"]  # Go/NoGo, go_nogo, GO-NOGO; never the private one
    assert await session_names(gateway, {"taskProtocol": {"icontains": "NOGO"}}) == expected
    assert await session_names(gateway, {"taskProtocol": {"icontains": "nogo"}}) == expected
    assert await session_names(gateway, {"taskProtocol": {"icontains": "nOgO"}}) == expected


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ({"taskProtocol": {"iexact": "go-nogo"}}, ["elder"]),
        ({"taskProtocol": {"iexact": "GO_NOGO V2"}}, ["banana"]),  # never the private one
        ({"taskProtocol": {"iexact": "go/nogo 50%_CUE"}}, ["apple"]),
        ({"taskProtocol": {"iexact": "go"}}, []),  # the whole value, not a part of it
        ({"taskProtocol": {"iexact": "go_nogo_v2"}}, []),  # "_" is no wildcard
        ({"taskProtocol": {"iexact": "go%"}}, []),  # nor is "%"
        ({"subjectNickname": {"iexact": "subjOne"}}, ["apple", "banana"]),  # a computed field
        ({"projectName": {"iexact": "ALPHA"}}, ["apple", "banana", "elder"]),  # a to-many one
    ],
    ids=lambda value: repr(value),
)
async def test_iexact_matches_the_whole_value_ignoring_case(
    gateway: Gateway, sessionmaker: Sessionmaker, where: dict[str, Any], expected: list[str]
) -> None:
    await arrange_sessions(sessionmaker)
    assert await session_names(gateway, where) == expected


async def test_iexact_is_offered_on_string_fields_only(gateway: Gateway) -> None:
    errors = await refused(gateway, "{ sessions(where: {number: {iexact: 1}}) { id } }")
    assert "iexact" in only_error(errors, "GRAPHQL_VALIDATION_FAILED")


@pytest.mark.parametrize(
    ("needle", "expected"),
    [
        ("%", ["apple", "cherry"]),  # "50%_cue", "100%"; a wildcard would match every row
        ("_", ["apple", "banana"]),  # "50%_cue", "go_nogo"; a wildcard would match every row
        ("%_", ["apple"]),
        ("o_n", ["banana"]),  # as a wildcard it would also match "Go/NoGo" and "GO-NOGO"
        ("0%", ["apple", "cherry"]),
        ("100%", ["cherry"]),
    ],
)
async def test_icontains_matches_like_wildcards_literally(
    gateway: Gateway, sessionmaker: Sessionmaker, needle: str, expected: list[str]
) -> None:
    await arrange_sessions(sessionmaker)
    assert await session_names(gateway, {"taskProtocol": {"icontains": needle}}) == expected


async def test_startswith_and_endswith_match_wildcards_literally(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    await arrange_sessions(sessionmaker)
    assert await session_names(gateway, {"taskProtocol": {"startswith": "go_"}}) == ["banana"]
    assert await session_names(gateway, {"taskProtocol": {"startswith": "g_"}}) == []
    assert await session_names(gateway, {"taskProtocol": {"endswith": "%_cue"}}) == ["apple"]
    assert await session_names(gateway, {"taskProtocol": {"endswith": "0%"}}) == ["cherry"]
    assert await session_names(gateway, {"taskProtocol": {"endswith": "_"}}) == []


async def test_startswith_and_endswith_are_case_sensitive_on_every_backend(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    """``icontains`` is the case-insensitive operator; ``startswith`` and ``endswith`` must
    give the same (case-sensitive) answer on SQLite as on PostgreSQL."""
    await arrange_sessions(sessionmaker)
    assert await session_names(gateway, {"taskProtocol": {"startswith": "go"}}) == ["banana"]
    assert await session_names(gateway, {"taskProtocol": {"startswith": "Go"}}) == ["apple"]
    assert await session_names(gateway, {"taskProtocol": {"startswith": "GO"}}) == ["elder"]
    assert await session_names(gateway, {"taskProtocol": {"endswith": "NOGO"}}) == ["elder"]
    assert await session_names(gateway, {"taskProtocol": {"endswith": "V2"}}) == []


async def test_string_filters_on_a_computed_field(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    await arrange_sessions(sessionmaker)
    assert await session_names(gateway, {"subjectNickname": {"eq": "SUBJONE"}}) == [
        "apple", "banana",
    ]
    assert await session_names(gateway, {"subjectNickname": {"isNull": True}}) == [
        "damson", "elder",
    ]
    assert await session_names(gateway, {"subjectNickname": {"isNull": False}}) == [
        "apple", "banana", "cherry",
    ]


async def test_string_is_null_on_species_category_name(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    async def recipe(world: World) -> None:
        rodents = await world.category(name="Rodents")
        await world.species(name="mouse", category_id=rodents.id)
        await world.species(name="rat", category_id=rodents.id)
        await world.species(name="octopus")

    await build(sessionmaker, recipe)
    query = "query ($w: SpeciesWhere) { species(where: $w) { name } }"
    without = await gateway.data(query, {"w": {"categoryName": {"isNull": True}}})
    with_one = await gateway.data(query, {"w": {"categoryName": {"isNull": False}}})
    rodents = await gateway.data(query, {"w": {"categoryName": {"icontains": "rodent"}}})
    assert names(without["species"]) == ["octopus"]
    assert names(with_one["species"]) == ["mouse", "rat"]
    assert names(rodents["species"]) == ["mouse", "rat"]


# --------------------------------------------------------------------------------------------
# Filters: integers
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("int_filter", "expected"),
    [
        ({"eq": 2}, ["banana"]),
        ({"in": [1, 3, 99]}, ["apple", "cherry"]),
        ({"gt": 2}, ["cherry", "elder"]),
        ({"gte": 2}, ["banana", "cherry", "elder"]),
        ({"lt": 3}, ["apple", "banana"]),
        ({"lte": 3}, ["apple", "banana", "cherry"]),
        ({"isNull": True}, ["damson"]),
        ({"isNull": False}, ["apple", "banana", "cherry", "elder"]),
        ({"ne": 2, "isNull": False}, ["apple", "cherry", "elder"]),
        ({"gte": 2, "lte": 3}, ["banana", "cherry"]),  # two operators on one field: both hold
        ({"eq": 99}, []),
    ],
    ids=lambda value: repr(value),
)
async def test_int_filter_operators_on_session_number(
    gateway: Gateway, sessionmaker: Sessionmaker, int_filter: dict[str, Any],
    expected: list[str],
) -> None:
    await arrange_sessions(sessionmaker)
    assert await session_names(gateway, {"number": int_filter}) == expected


async def test_int_ne_on_a_non_nullable_column(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    await arrange_sessions(sessionmaker)
    assert await session_names(gateway, {"qc": {"ne": 0}}) == ["apple", "cherry", "damson"]


async def test_int_filter_written_inline_in_the_query(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    await arrange_sessions(sessionmaker)
    data = await gateway.data(
        "{ sessions(where: {number: {in: [2, 5]}, qc: {eq: 0}}) { name } }"
    )
    assert sorted(names(data["sessions"])) == ["banana", "elder"]


# --------------------------------------------------------------------------------------------
# Filters: datetimes
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("datetime_filter", "expected"),
    [
        ({"eq": "2024-01-02T08:00:00Z"}, ["banana"]),
        ({"ne": "2024-01-02T08:00:00Z", "isNull": False}, ["apple", "cherry", "damson"]),
        ({"in": ["2024-01-01T08:00:00Z", "2024-01-04T08:00:00Z"]}, ["apple", "damson"]),
        ({"gt": "2024-01-02T08:00:00Z"}, ["cherry", "damson"]),
        ({"gte": "2024-01-02T08:00:00Z"}, ["banana", "cherry", "damson"]),
        ({"lt": "2024-01-03T08:00:00Z"}, ["apple", "banana"]),
        ({"lte": "2024-01-03T08:00:00Z"}, ["apple", "banana", "cherry"]),
        ({"isNull": True}, ["elder"]),
        ({"isNull": False}, ["apple", "banana", "cherry", "damson"]),
        ({"gt": "2024-01-01T08:00:00Z", "lt": "2024-01-04T08:00:00Z"}, ["banana", "cherry"]),
        # The same instant written with another offset is the same instant.
        ({"eq": "2024-01-03T10:00:00+02:00"}, ["cherry"]),
        ({"lt": "2024-01-02T03:00:00-05:00"}, ["apple"]),
    ],
    ids=lambda value: repr(value),
)
async def test_datetime_filter_operators_on_session_start_time(
    gateway: Gateway, sessionmaker: Sessionmaker, datetime_filter: dict[str, Any],
    expected: list[str],
) -> None:
    await arrange_sessions(sessionmaker)
    assert await session_names(gateway, {"startTime": datetime_filter}) == expected


async def test_datetimes_are_answered_in_utc_with_a_z(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    await arrange_sessions(sessionmaker)
    data = await gateway.data(
        '{ sessions(where: {name: {in: ["apple", "elder"]}}) { name startTime } }'
    )
    assert sorted(data["sessions"], key=lambda s: s["name"]) == [
        {"name": "apple", "startTime": z(JAN1)},
        {"name": "elder", "startTime": None},
    ]


# --------------------------------------------------------------------------------------------
# Filters: UUIDs
# --------------------------------------------------------------------------------------------


async def test_uuid_filter_operators_on_project_and_subject(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    lab = await arrange_sessions(sessionmaker)
    missing = str(uuid.uuid4())
    assert await session_names(gateway, {"projectId": {"eq": lab.alpha}}) == [
        "apple", "banana", "elder",
    ]
    assert await session_names(gateway, {"projectId": {"in": [lab.beta, missing]}}) == [
        "cherry", "damson",
    ]
    # ne never reaches the private project's session.
    assert await session_names(gateway, {"projectId": {"ne": lab.alpha}}) == ["cherry", "damson"]
    assert await session_names(gateway, {"projectId": {"eq": lab.hidden}}) == []
    assert await session_names(gateway, {"projectId": {"eq": missing}}) == []
    assert await session_names(gateway, {"subjectId": {"eq": lab.subject_one}}) == [
        "apple", "banana",
    ]
    assert await session_names(gateway, {"subjectId": {"isNull": True}}) == ["damson", "elder"]
    assert await session_names(gateway, {"subjectId": {"isNull": False}}) == [
        "apple", "banana", "cherry",
    ]
    assert await session_names(
        gateway, {"id": {"in": [lab.ids["cherry"], lab.ids["elder"], lab.ids["secret"]]}}
    ) == ["cherry", "elder"]


async def test_uuid_filter_accepts_uppercase_and_inline_literals(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    lab = await arrange_sessions(sessionmaker)
    assert await session_names(gateway, {"projectId": {"eq": lab.beta.upper()}}) == [
        "cherry", "damson",
    ]
    data = await gateway.data(f'{{ sessions(where: {{id: {{eq: "{lab.ids["apple"]}"}}}}) '
                              "{ name } }")
    assert names(data["sessions"]) == ["apple"]


# --------------------------------------------------------------------------------------------
# Filters: booleans
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bool_filter", "expected"),
    [
        ({"eq": True}, ["alpha", "beta"]),
        ({"eq": False}, []),  # private projects exist but are hidden from the public
        ({"ne": False}, ["alpha", "beta"]),
        ({"ne": True}, []),
        ({"isNull": False}, ["alpha", "beta"]),
        ({"isNull": True}, []),
    ],
    ids=lambda value: repr(value),
)
async def test_bool_filter_operators_on_project_is_public(
    gateway: Gateway, sessionmaker: Sessionmaker, bool_filter: dict[str, Any],
    expected: list[str],
) -> None:
    await arrange_sessions(sessionmaker)
    data = await gateway.data(
        "query ($w: ProjectWhere) { projects(where: $w) { name isPublic } }",
        {"w": {"isPublic": bool_filter}},
    )
    assert names(data["projects"]) == expected
    assert all(project["isPublic"] is True for project in data["projects"])


async def _arrange_brains(sessionmaker: Sessionmaker) -> None:
    async def recipe(world: World) -> None:
        uploader = await world.user()
        rodents = await world.category(name="Rodents")
        mouse = await world.species(name="mouse", category_id=rodents.id)
        assert uploader.id is not None
        for readable_id, verified, reference in [
            ("ref-brain", True, True),
            ("plain-brain", True, False),
            ("draft-brain", False, True),  # unverified: hidden from the public
        ]:
            await world.add(Brain(
                readable_id=readable_id, name=readable_id.replace("-", " "), verified=verified,
                is_reference=reference, uploader_id=uploader.id, species_id=mouse.id,
                category_id=rodents.id,
            ))

    await build(sessionmaker, recipe)


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ({"isReference": {"eq": True}}, ["ref-brain"]),
        ({"isReference": {"eq": False}}, ["plain-brain"]),
        ({"isReference": {"ne": True}}, ["plain-brain"]),
        ({"verified": {"eq": False}}, []),
        ({"verified": {"eq": True}}, ["plain-brain", "ref-brain"]),
    ],
    ids=lambda value: repr(value),
)
async def test_bool_filter_operators_on_brains(
    gateway: Gateway, sessionmaker: Sessionmaker, where: dict[str, Any], expected: list[str]
) -> None:
    await _arrange_brains(sessionmaker)
    data = await gateway.data(
        "query ($w: BrainWhere) { brains(where: $w) { readableId } }", {"w": where}
    )
    assert sorted(b["readableId"] for b in data["brains"]) == expected


# --------------------------------------------------------------------------------------------
# and / or
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        # Several fields in one object: all must hold.
        ({"projectId": {"eq": "ALPHA"}, "number": {"lt": 5}}, ["apple", "banana"]),
        ({"name": {"startswith": "b"}, "number": {"eq": 3}}, []),
        ({"or": [{"number": {"eq": 1}}, {"name": {"eq": "cherry"}}]}, ["apple", "cherry"]),
        ({"and": [{"projectId": {"eq": "ALPHA"}}, {"number": {"gte": 2}}]}, ["banana", "elder"]),
        ({"and": [{"number": {"gte": 2}}, {"number": {"lte": 2}}]}, ["banana"]),
        (
            {"or": [
                {"and": [{"projectId": {"eq": "ALPHA"}}, {"number": {"lt": 2}}]},
                {"and": [{"projectId": {"eq": "BETA"}}, {"number": {"isNull": True}}]},
            ]},
            ["apple", "damson"],
        ),
        # Fields next to an or: the fields and the or all hold.
        (
            {"projectId": {"eq": "ALPHA"}, "or": [{"number": {"eq": 1}}, {"number": {"eq": 5}}]},
            ["apple", "elder"],
        ),
        # and next to or.
        (
            {"and": [{"qc": {"eq": 1}}], "or": [{"name": {"eq": "apple"}},
                                                {"name": {"eq": "banana"}}]},
            ["apple"],
        ),
        # or inside and inside or.
        (
            {"or": [
                {"name": {"eq": "elder"}},
                {"and": [
                    {"qc": {"gte": 1}},
                    {"or": [{"taskProtocol": {"icontains": "passive"}},
                            {"taskProtocol": {"icontains": "reversal"}}]},
                ]},
            ]},
            ["cherry", "damson", "elder"],
        ),
        # An or over the private project's session still does not reach it.
        ({"or": [{"name": {"eq": "secret"}}, {"name": {"eq": "apple"}}]}, ["apple"]),
    ],
    ids=lambda value: repr(value),
)
async def test_and_or_and_implicit_and_combine_filters(
    gateway: Gateway, sessionmaker: Sessionmaker, where: dict[str, Any], expected: list[str]
) -> None:
    lab = await arrange_sessions(sessionmaker)
    placeholders = {'"ALPHA"': f'"{lab.alpha}"', '"BETA"': f'"{lab.beta}"'}
    text = json.dumps(where)
    for placeholder, value in placeholders.items():
        text = text.replace(placeholder, value)
    assert await session_names(gateway, json.loads(text)) == expected


# --------------------------------------------------------------------------------------------
# Ordering
# --------------------------------------------------------------------------------------------


async def test_sessions_default_to_newest_first(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    await arrange_sessions(sessionmaker)
    data = await gateway.data(
        "{ implicit: sessions(where: {startTime: {isNull: false}}) { name startTime }"
        "  explicit: sessions(where: {startTime: {isNull: false}},"
        "                     orderBy: [{field: START_TIME, direction: DESC}]) { name } }"
    )
    assert data["implicit"] == [
        {"name": "damson", "startTime": z(JAN4)},
        {"name": "cherry", "startTime": z(JAN3)},
        {"name": "banana", "startTime": z(JAN2)},
        {"name": "apple", "startTime": z(JAN1)},
    ]
    assert names(data["explicit"]) == ["damson", "cherry", "banana", "apple"]


async def test_sessions_without_a_start_time_come_last_when_newest_first(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    """Newest first lists the dated sessions first, on every backend (PostgreSQL puts NULLs
    first in a descending order unless told otherwise; SQLite puts them last)."""
    await arrange_sessions(sessionmaker)
    data = await gateway.data(
        "{ implicit: sessions { name }"
        "  explicit: sessions(orderBy: [{field: START_TIME, direction: DESC}]) { name } }"
    )
    expected = ["damson", "cherry", "banana", "apple", "elder"]
    assert names(data["implicit"]) == expected
    assert names(data["explicit"]) == expected


async def test_sessions_order_by_start_time_ascending(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    await arrange_sessions(sessionmaker)
    data = await gateway.data(
        "{ sessions(where: {startTime: {isNull: false}}, orderBy: [{field: START_TIME}]) "
        "{ name } }"
    )
    assert names(data["sessions"]) == ["apple", "banana", "cherry", "damson"]


@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        ("[{field: QC, direction: ASC}, {field: NAME, direction: DESC}]",
         ["elder", "banana", "cherry", "apple", "damson"]),
        ("[{field: QC, direction: DESC}, {field: NAME, direction: ASC}]",
         ["damson", "apple", "cherry", "banana", "elder"]),
        ("[{field: QC}, {field: NAME}]",  # direction defaults to ASC
         ["banana", "elder", "apple", "cherry", "damson"]),
        ("[{field: NAME, direction: DESC}]",
         ["elder", "damson", "cherry", "banana", "apple"]),
        ("[{field: PROJECT_ID, direction: ASC}, {field: NUMBER, direction: DESC}]", None),
    ],
)
async def test_order_by_several_fields_and_directions(
    gateway: Gateway, sessionmaker: Sessionmaker, order_by: str, expected: list[str] | None
) -> None:
    lab = await arrange_sessions(sessionmaker)
    if expected is None:
        # Projects by id (whichever comes first), then number descending within each; the
        # where keeps NULL numbers out, whose place differs between databases.
        by_project = {lab.alpha: ["elder", "banana", "apple"], lab.beta: ["cherry"]}
        expected = [name for key in sorted(by_project, key=uuid.UUID) for name in by_project[key]]
        order_by_where = f"where: {{number: {{isNull: false}}}}, orderBy: {order_by}"
    else:
        order_by_where = f"orderBy: {order_by}"
    data = await gateway.data(f"{{ sessions({order_by_where}) {{ name }} }}")
    assert names(data["sessions"]) == expected


async def test_order_by_a_computed_field_then_newest_first(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    await arrange_sessions(sessionmaker)
    data = await gateway.data(
        "{ sessions(where: {subjectNickname: {isNull: false}}, orderBy: ["
        "  {field: SUBJECT_NICKNAME, direction: DESC}, {field: START_TIME, direction: DESC}]) "
        "  { name } }"
    )
    assert names(data["sessions"]) == ["cherry", "banana", "apple"]


async def test_species_default_to_name_ascending(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    async def recipe(world: World) -> None:
        for name in ["zebrafish", "mouse", "rat", "macaque"]:
            await world.species(name=name)

    await build(sessionmaker, recipe)
    data = await gateway.data(
        "{ species { name } desc: species(orderBy: [{field: NAME, direction: DESC}]) { name } }"
    )
    assert names(data["species"]) == ["macaque", "mouse", "rat", "zebrafish"]
    assert names(data["desc"]) == ["zebrafish", "rat", "mouse", "macaque"]


async def _arrange_ties(sessionmaker: Sessionmaker, count: int) -> list[str]:
    """``count`` sessions with the same start time and qc; their ids in ascending order."""

    async def recipe(world: World) -> list[str]:
        project = await world.project(name="ties")
        rows = [
            await world.session_row(project, name=f"tie{i}", start_time=JAN1, qc=7)
            for i in range(count)
        ]
        return [str(row.id) for row in sorted(rows, key=lambda row: row.id)]

    return await build(sessionmaker, recipe)  # type: ignore[no-any-return]


async def test_ties_are_broken_by_id_so_the_order_is_deterministic(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    ordered_ids = await _arrange_ties(sessionmaker, 6)
    query = "{ a: sessions { id } b: sessions(orderBy: [{field: QC, direction: DESC}]) { id } }"
    first = await gateway.data(query)
    second = await gateway.data(query)
    assert [s["id"] for s in first["a"]] == ordered_ids
    assert [s["id"] for s in first["b"]] == ordered_ids
    assert first == second


async def test_paging_through_ties_returns_every_row_once(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    ordered_ids = await _arrange_ties(sessionmaker, 5)
    seen: list[str] = []
    for offset in range(0, 6, 2):
        data = await gateway.data(
            "query ($o: Int!) { sessions(limit: 2, offset: $o) { id } }", {"o": offset}
        )
        seen.extend(s["id"] for s in data["sessions"])
    assert seen == ordered_ids


# --------------------------------------------------------------------------------------------
# limit / offset
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limit", "offset", "expected"),
    [
        (2, 0, ["damson", "cherry"]),
        (2, 1, ["cherry", "banana"]),
        (2, 3, ["apple"]),
        (10, 0, ["damson", "cherry", "banana", "apple"]),
        (2, 4, []),
        (2, 50, []),
        (0, 0, []),
        (None, 2, ["banana", "apple"]),
    ],
)
async def test_limit_and_offset_window_the_ordered_rows(
    gateway: Gateway, sessionmaker: Sessionmaker, limit: int | None, offset: int,
    expected: list[str],
) -> None:
    await arrange_sessions(sessionmaker)
    data = await gateway.data(
        "query ($l: Int, $o: Int!) { sessions(where: {startTime: {isNull: false}},"
        " limit: $l, offset: $o) { name } }",
        {"l": limit, "o": offset},
    )
    assert names(data["sessions"]) == expected


async def test_limit_up_to_the_maximum_is_allowed(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    await arrange_sessions(sessionmaker)
    data = await gateway.data("{ sessions(limit: 100) { name } }")
    assert len(data["sessions"]) == 5


async def test_a_raised_page_size_cap_allows_bigger_pages(
    sessionmaker: Sessionmaker, make_gateway: MakeGateway
) -> None:
    async def recipe(world: World) -> None:
        project = await world.project(name="big")
        for i in range(250):
            await world.session_row(project, name=f"s{i:03d}", start_time=None, number=i)

    await build(sessionmaker, recipe)
    gateway = await make_gateway(max_page_size=500)
    data = await gateway.data(
        "{ sessions(limit: 300, orderBy: [{field: NUMBER}]) { number } "
        "  sessionsConnection(first: 300) { totalCount nodes { id } } }"
    )
    assert [s["number"] for s in data["sessions"]] == list(range(250))
    assert data["sessionsConnection"]["totalCount"] == 250
    assert len(data["sessionsConnection"]["nodes"]) == 250
    message = only_error(
        await refused(gateway, "{ sessions(limit: 501) { name } }"), "BAD_USER_INPUT"
    )
    assert "500" in message


# --------------------------------------------------------------------------------------------
# Relay connections
# --------------------------------------------------------------------------------------------

CONNECTION_PAGE = """
query ($first: Int, $after: String, $where: SessionWhere) {
  sessionsConnection(first: $first, after: $after, where: $where) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id name } }
    nodes { id name }
  }
}
"""


async def _arrange_seven(sessionmaker: Sessionmaker) -> list[str]:
    """Seven public sessions (and a private one); their names newest first."""

    async def recipe(world: World) -> list[str]:
        project = await world.project(name="walk")
        hidden = await world.project(name="walk_hidden", is_public=False)
        await world.session_row(hidden, name="hidden", start_time=datetime(2030, 1, 1))
        for day in range(1, 8):
            await world.session_row(project, name=f"day{day}", start_time=datetime(2024, 3, day))
        return [f"day{day}" for day in range(7, 0, -1)]

    return await build(sessionmaker, recipe)  # type: ignore[no-any-return]


async def test_walking_a_connection_with_cursors_collects_every_row_once(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    newest_first = await _arrange_seven(sessionmaker)
    collected: list[str] = []
    after: str | None = None
    pages = []
    while True:
        data = await gateway.data(CONNECTION_PAGE, {"first": 3, "after": after})
        page = data["sessionsConnection"]
        pages.append(page)
        assert page["totalCount"] == 7
        assert page["nodes"] == [edge["node"] for edge in page["edges"]]
        if page["edges"]:
            assert page["pageInfo"]["startCursor"] == page["edges"][0]["cursor"]
            assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        collected.extend(node["name"] for node in page["nodes"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        assert len(pages) < 10, "the walk does not end"
    assert collected == newest_first
    assert [len(p["nodes"]) for p in pages] == [3, 3, 1]
    assert [p["pageInfo"]["hasNextPage"] for p in pages] == [True, True, False]
    assert [p["pageInfo"]["hasPreviousPage"] for p in pages] == [False, True, True]
    cursors = [edge["cursor"] for p in pages for edge in p["edges"]]
    assert len(set(cursors)) == 7


async def test_a_connection_page_after_any_cursor_starts_right_after_it(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    newest_first = await _arrange_seven(sessionmaker)
    everything = (await gateway.data(CONNECTION_PAGE, {}))["sessionsConnection"]
    assert names(everything["nodes"]) == newest_first
    assert everything["pageInfo"]["hasNextPage"] is False
    assert everything["pageInfo"]["hasPreviousPage"] is False
    for index, edge in enumerate(everything["edges"]):
        page = (await gateway.data(CONNECTION_PAGE, {"first": 2, "after": edge["cursor"]}))[
            "sessionsConnection"
        ]
        assert names(page["nodes"]) == newest_first[index + 1 : index + 3]
        assert page["pageInfo"]["hasNextPage"] is (index + 3 < 7)
        assert page["pageInfo"]["hasPreviousPage"] is True
        assert page["totalCount"] == 7


async def test_a_connection_page_past_the_end_is_empty(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    await _arrange_seven(sessionmaker)
    last = (await gateway.data(CONNECTION_PAGE, {"first": 7}))["sessionsConnection"]
    assert last["pageInfo"]["hasNextPage"] is False
    beyond = (await gateway.data(CONNECTION_PAGE, {"after": last["pageInfo"]["endCursor"]}))[
        "sessionsConnection"
    ]
    assert beyond["edges"] == [] and beyond["nodes"] == []
    assert beyond["totalCount"] == 7
    assert beyond["pageInfo"] == {
        "hasNextPage": False, "hasPreviousPage": True, "startCursor": None, "endCursor": None,
    }


async def test_a_connection_counts_only_the_filtered_rows(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    await _arrange_seven(sessionmaker)
    where = {"startTime": {"gte": "2024-03-03T00:00:00Z", "lt": "2024-03-07T00:00:00Z"}}
    first = (await gateway.data(CONNECTION_PAGE, {"first": 3, "where": where}))[
        "sessionsConnection"
    ]
    assert first["totalCount"] == 4
    assert names(first["nodes"]) == ["day6", "day5", "day4"]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = (await gateway.data(
        CONNECTION_PAGE, {"first": 3, "where": where, "after": first["pageInfo"]["endCursor"]}
    ))["sessionsConnection"]
    assert names(rest["nodes"]) == ["day3"]
    assert rest["totalCount"] == 4
    assert rest["pageInfo"]["hasNextPage"] is False


async def test_an_empty_connection(gateway: Gateway) -> None:
    page = (await gateway.data(CONNECTION_PAGE, {"first": 5}))["sessionsConnection"]
    assert page == {
        "totalCount": 0,
        "pageInfo": {"hasNextPage": False, "hasPreviousPage": False, "startCursor": None,
                     "endCursor": None},
        "edges": [],
        "nodes": [],
    }


async def test_a_connection_honours_order_by(gateway: Gateway, sessionmaker: Sessionmaker) -> None:
    newest_first = await _arrange_seven(sessionmaker)
    data = await gateway.data(
        "{ sessionsConnection(first: 2, orderBy: [{field: NAME, direction: ASC}]) "
        "  { totalCount nodes { name } } }"
    )
    assert names(data["sessionsConnection"]["nodes"]) == sorted(newest_first)[:2]


async def test_total_count_is_answered_when_selected_through_a_fragment(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    await _arrange_seven(sessionmaker)
    data = await gateway.data(
        "{ named: sessionsConnection(first: 2) { ...Counted }"
        "  inline: sessionsConnection(first: 2) { ... on SessionConnection { totalCount } } }"
        "fragment Counted on SessionConnection { totalCount nodes { name } }"
    )
    assert data["named"]["totalCount"] == 7
    assert data["inline"]["totalCount"] == 7


# --------------------------------------------------------------------------------------------
# Refused input: clear errors, never a 500
# --------------------------------------------------------------------------------------------


async def test_unknown_where_field_is_a_validation_error(gateway: Gateway) -> None:
    message = only_error(
        await refused(gateway, '{ sessions(where: {passwordHash: {eq: "x"}}) { name } }'),
        "GRAPHQL_VALIDATION_FAILED",
    )
    assert "passwordHash" in message
    variables = {"w": {"passwordHash": {"eq": "x"}}}
    errors = await refused(
        gateway, "query ($w: SessionWhere) { sessions(where: $w) { name } }", variables
    )
    assert "passwordHash" in errors[0]["message"]


async def test_unknown_filter_operator_is_a_validation_error(gateway: Gateway) -> None:
    # Booleans have no ordering operators; UUIDs have no text operators.
    errors = await refused(gateway, "{ projects(where: {isPublic: {gt: true}}) { name } }")
    assert "gt" in only_error(errors, "GRAPHQL_VALIDATION_FAILED")
    errors = await refused(gateway, '{ sessions(where: {projectId: {icontains: "a"}}) { id } }')
    assert "icontains" in only_error(errors, "GRAPHQL_VALIDATION_FAILED")


@pytest.mark.parametrize(
    ("query", "variables", "mentions"),
    [
        ('{ sessions(where: {number: {eq: "three"}}) { name } }', None, "Int"),
        ("query ($n: Int) { sessions(where: {number: {eq: $n}}) { name } }",
         {"n": "three"}, "Int"),
        ("query ($w: SessionWhere) { sessions(where: $w) { name } }",
         {"w": {"number": {"in": [1, "two"]}}}, "Int"),
        ('{ sessions(where: {projectId: {eq: "not-a-uuid"}}) { name } }', None, "UUID"),
        ("query ($p: UUID) { sessions(where: {projectId: {eq: $p}}) { name } }",
         {"p": "not-a-uuid"}, "UUID"),
        ("query ($w: SessionWhere) { sessions(where: $w) { name } }",
         {"w": {"projectId": {"in": ["not-a-uuid"]}}}, "UUID"),
        ('{ sessions(where: {startTime: {gt: "yesterday"}}) { name } }', None, "DateTime"),
        ('{ projects(where: {isPublic: {eq: "yes"}}) { name } }', None, "Boolean"),
        ('{ sessions(limit: "ten") { name } }', None, "Int"),
    ],
)
async def test_a_value_of_the_wrong_type_is_refused(
    gateway: Gateway, query: str, variables: dict[str, Any] | None, mentions: str
) -> None:
    errors = await refused(gateway, query, variables)
    assert len(errors) == 1, errors
    assert errors[0]["extensions"]["code"] in {"GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT"}
    assert mentions in errors[0]["message"]


@pytest.mark.parametrize(
    "query",
    [
        "{ sessions(limit: 101) { name } }",
        "{ sessionsConnection(first: 101) { totalCount } }",
        "{ species(limit: 1000000) { name } }",
    ],
)
async def test_a_page_over_the_cap_is_refused_naming_the_maximum(
    gateway: Gateway, query: str
) -> None:
    message = only_error(await refused(gateway, query), "BAD_USER_INPUT")
    assert "maximum" in message and "100" in message


@pytest.mark.parametrize(
    "query",
    [
        "{ sessions(offset: -1) { name } }",
        "{ sessions(limit: -5) { name } }",
        "{ sessionsConnection(first: -1) { totalCount } }",
    ],
)
async def test_negative_windows_are_refused(gateway: Gateway, query: str) -> None:
    message = only_error(await refused(gateway, query), "BAD_USER_INPUT")
    assert "negative" in message


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "",
        "b2Zmc2V0Oi01",  # "offset:-5"
        "bGltaXQ6Mw==",  # "limit:3"
        "b2Zmc2V0OnRocmVl",  # "offset:three"
        "//79/Q==",  # not UTF-8
    ],
)
async def test_a_garbage_cursor_is_refused(gateway: Gateway, cursor: str) -> None:
    message = only_error(
        await refused(
            gateway, "query ($a: String) { sessionsConnection(after: $a) { totalCount } }",
            {"a": cursor},
        ),
        "BAD_USER_INPUT",
    )
    assert "cursor" in message.lower()


async def test_a_cursor_with_an_out_of_range_offset_is_refused(gateway: Gateway) -> None:
    cursor = base64.urlsafe_b64encode(b"offset:" + b"9" * 30).decode()
    message = only_error(
        await refused(
            gateway, "query ($a: String) { sessionsConnection(after: $a) { totalCount } }",
            {"a": cursor},
        ),
        "BAD_USER_INPUT",
    )
    assert "cursor" in message.lower()


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("{ projects { name sessions(limit: 1000) { name } } }", None),
        ("query ($n: Int!) { projects { sessions(limit: $n) { name } } }", {"n": 101}),
        ("{ subjects { sessions(limit: -1) { name } } }", None),
        ("{ sessions { project { sessions(limit: 101) { name } } } }", None),
    ],
)
async def test_a_nested_list_over_the_cap_is_refused(
    gateway: Gateway, sessionmaker: Sessionmaker, query: str, variables: dict[str, Any] | None
) -> None:
    await arrange_sessions(sessionmaker)
    message = only_error(await refused(gateway, query, variables), "BAD_USER_INPUT")
    assert "100" in message and "limit" in message


async def test_an_unknown_order_field_is_an_enum_validation_error(gateway: Gateway) -> None:
    errors = await refused(gateway, "{ sessions(orderBy: [{field: SECRET_HASH}]) { name } }")
    assert "SECRET_HASH" in only_error(errors, "GRAPHQL_VALIDATION_FAILED")
    errors = await refused(
        gateway, "{ sessions(orderBy: [{field: NAME, direction: SIDEWAYS}]) { name } }"
    )
    assert "SIDEWAYS" in only_error(errors, "GRAPHQL_VALIDATION_FAILED")
    errors = await refused(
        gateway, "query ($o: [SessionOrder!]) { sessions(orderBy: $o) { name } }",
        {"o": [{"field": "start_time"}]},
    )
    assert "start_time" in errors[0]["message"]


# --------------------------------------------------------------------------------------------
# Lookups by key
# --------------------------------------------------------------------------------------------


async def test_species_by_name(gateway: Gateway, sessionmaker: Sessionmaker) -> None:
    async def recipe(world: World) -> None:
        rodents = await world.category(name="Rodents")
        await world.species(name="mouse", scientific_name="Mus musculus", category_id=rodents.id)
        await world.species(name="rat", scientific_name="Rattus norvegicus")

    await build(sessionmaker, recipe)
    data = await gateway.data(
        '{ mouse: speciesByName(name: "mouse") { name scientificName category { name } }'
        '  rat: speciesByName(name: "rat") { name category { name } }'
        '  upper: speciesByName(name: "MOUSE") { name }'
        '  none: speciesByName(name: "unicorn") { name } }'
    )
    assert data == {
        "mouse": {"name": "mouse", "scientificName": "Mus musculus",
                  "category": {"name": "Rodents"}},
        "rat": {"name": "rat", "category": None},
        "upper": None,
        "none": None,
    }


async def test_subject_by_nickname(gateway: Gateway, sessionmaker: Sessionmaker) -> None:
    lab = await arrange_sessions(sessionmaker)
    data = await gateway.data(
        '{ one: subjectByNickname(nickname: "SUBJONE") { id nickname project { name } }'
        '  none: subjectByNickname(nickname: "NOBODY") { id } }'
    )
    assert data == {
        "one": {"id": lab.subject_one, "nickname": "SUBJONE", "project": {"name": "alpha"}},
        "none": None,
    }


async def test_brain_by_readable_id_shows_only_verified_brains(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    await _arrange_brains(sessionmaker)
    data = await gateway.data(
        '{ ref: brainByReadableId(readableId: "ref-brain") {'
        "    readableId name verified isReference species { name } category { name } }"
        '  draft: brainByReadableId(readableId: "draft-brain") { readableId }'
        '  none: brainByReadableId(readableId: "no-such-brain") { readableId } }'
    )
    assert data == {
        "ref": {"readableId": "ref-brain", "name": "ref brain", "verified": True,
                "isReference": True, "species": {"name": "mouse"},
                "category": {"name": "Rodents"}},
        "draft": None,
        "none": None,
    }


async def test_session_by_id(gateway: Gateway, sessionmaker: Sessionmaker) -> None:
    lab = await arrange_sessions(sessionmaker)
    data = await gateway.data(
        "query ($id: ID!, $missing: ID!) {"
        "  found: session(id: $id) { id name number project { name } }"
        "  missing: session(id: $missing) { id } }",
        {"id": lab.ids["cherry"], "missing": str(uuid.uuid4())},
    )
    assert data == {
        "found": {"id": lab.ids["cherry"], "name": "cherry", "number": 3,
                  "project": {"name": "beta"}},
        "missing": None,
    }


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "12345", "", "'; DROP TABLE session; --"])
async def test_session_by_malformed_id_is_a_clear_error(gateway: Gateway, bad_id: str) -> None:
    response = await gateway.client.post(
        "/graphql",
        json={"query": "query ($id: ID!) { session(id: $id) { id } }", "variables": {"id": bad_id}},
    )
    assert response.status_code in (200, 400), response.text
    body = response.json()
    message = only_error(body["errors"], "BAD_USER_INPUT")
    assert "id" in message and "uuid" in message.lower()
    assert body["errors"][0]["path"] == ["session"]
    assert body["data"] == {"session": None}


# --------------------------------------------------------------------------------------------
# Nested relations
# --------------------------------------------------------------------------------------------


async def test_session_resolves_its_project_and_subject_with_species_and_category(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    async def recipe(world: World) -> None:
        rodents = await world.category(name="Rodents")
        mouse = await world.species(name="mouse", category_id=rodents.id)
        octopus = await world.species(name="octopus")
        north = await world.project(name="north")
        south = await world.project(name="south")
        m1 = await world.subject(north, nickname="M1", species_id=mouse.id)
        o1 = await world.subject(south, nickname="O1", species_id=octopus.id)
        await world.session_row(north, name="n1", subject_id=m1.id, start_time=JAN1)
        await world.session_row(south, name="s1", subject_id=o1.id, start_time=JAN2)
        await world.session_row(south, name="s2", start_time=JAN3)

    await build(sessionmaker, recipe)
    data = await gateway.data(
        "{ sessions { name project { name isPublic }"
        "    subject { nickname project { name } species { name category { name } } } } }"
    )
    assert data["sessions"] == [
        {"name": "s2", "project": {"name": "south", "isPublic": True}, "subject": None},
        {"name": "s1", "project": {"name": "south", "isPublic": True},
         "subject": {"nickname": "O1", "project": {"name": "south"},
                     "species": {"name": "octopus", "category": None}}},
        {"name": "n1", "project": {"name": "north", "isPublic": True},
         "subject": {"nickname": "M1", "project": {"name": "north"},
                     "species": {"name": "mouse", "category": {"name": "Rodents"}}}},
    ]


async def _arrange_projects_with_sessions(sessionmaker: Sessionmaker) -> None:
    """Project ``one`` with four sessions (one by subject ``K1``), ``two`` with one and
    ``empty`` with none."""

    async def recipe(world: World) -> None:
        one = await world.project(name="one")
        two = await world.project(name="two")
        await world.project(name="empty")
        k1 = await world.subject(one, nickname="K1")
        await world.subject(one, nickname="K2")
        for day, subject in [(1, k1), (3, None), (2, k1), (4, None)]:
            await world.session_row(one, name=f"one_d{day}", start_time=datetime(2024, 2, day),
                                    subject_id=None if subject is None else subject.id)
        await world.session_row(two, name="two_d9", start_time=datetime(2024, 2, 9))

    await build(sessionmaker, recipe)


async def test_project_sessions_are_newest_first_and_honour_the_nested_limit(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    await _arrange_projects_with_sessions(sessionmaker)
    data = await gateway.data(
        "{ projects { name all: sessions { name } two: sessions(limit: 2) { name }"
        "             none: sessions(limit: 0) { name } } }"
    )
    projects = {p["name"]: p for p in data["projects"]}
    assert list(projects) == ["empty", "one", "two"]  # projects default to name order
    assert names(projects["one"]["all"]) == ["one_d4", "one_d3", "one_d2", "one_d1"]
    # The limit is per project, not over all projects together.
    assert names(projects["one"]["two"]) == ["one_d4", "one_d3"]
    assert names(projects["two"]["two"]) == ["two_d9"]
    assert projects["empty"] == {"name": "empty", "all": [], "two": [], "none": []}
    assert projects["one"]["none"] == []


async def test_subject_sessions_are_newest_first(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    await _arrange_projects_with_sessions(sessionmaker)
    data = await gateway.data(
        "{ subjects { nickname sessions { name project { name } } "
        "             latest: sessions(limit: 1) { name } } }"
    )
    assert data["subjects"] == [
        {"nickname": "K1",
         "sessions": [{"name": "one_d2", "project": {"name": "one"}},
                      {"name": "one_d1", "project": {"name": "one"}}],
         "latest": [{"name": "one_d2"}]},
        {"nickname": "K2", "sessions": [], "latest": []},
    ]


async def test_nested_relations_resolve_under_a_connection_and_a_lookup(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    await _arrange_projects_with_sessions(sessionmaker)
    data = await gateway.data(
        '{ projectByName(name: "one") { subjects { nickname sessions(limit: 1) { name } } }'
        "  projectsConnection(first: 2) { edges { node { name sessions(limit: 1) { name } } } } }"
    )
    assert data["projectByName"] == {
        "subjects": [{"nickname": "K1", "sessions": [{"name": "one_d2"}]},
                     {"nickname": "K2", "sessions": []}],
    }
    assert [e["node"] for e in data["projectsConnection"]["edges"]] == [
        {"name": "empty", "sessions": []},
        {"name": "one", "sessions": [{"name": "one_d4"}]},
    ]


async def test_nested_lists_work_with_a_raised_page_size_cap(
    sessionmaker: Sessionmaker, make_gateway: MakeGateway
) -> None:
    """A nested list without ``limit`` must not depend on the cap being exactly 100."""
    await _arrange_projects_with_sessions(sessionmaker)
    gateway = await make_gateway(max_page_size=500)
    data = await gateway.data(
        '{ projectByName(name: "one") { sessions { name } subjects { nickname } } }'
    )
    assert names(data["projectByName"]["sessions"]) == ["one_d4", "one_d3", "one_d2", "one_d1"]
    assert [s["nickname"] for s in data["projectByName"]["subjects"]] == ["K1", "K2"]
    big = await gateway.data('{ projectByName(name: "one") { sessions(limit: 300) { name } } }')
    assert len(big["projectByName"]["sessions"]) == 4


async def test_a_private_project_is_not_found_by_filter_or_name(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    lab = await arrange_sessions(sessionmaker)
    data = await gateway.data(
        "query ($hidden: ID!) {"
        '  projects(where: {name: {eq: "hidden"}}) { name }'
        '  projectByName(name: "hidden") { name } project(id: $hidden) { name } }',
        {"hidden": lab.hidden},
    )
    assert data == {"projects": [], "projectByName": None, "project": None}


async def test_a_relation_takes_its_own_filter_order_and_window(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    await arrange_sessions(sessionmaker)
    data = await gateway.data(
        """{ projects(where: {name: {eq: "alpha"}}) {
               all: sessions { name }
               some: sessions(where: {not: {name: {eq: "apple"}}},
                              orderBy: [{field: NAME, direction: ASC}], limit: 1, offset: 1) {
                 name
               }
               numbered: sessions(where: {number: {gte: 2}, or: [{qc: {eq: 0}}]}) { name }
        } }"""
    )
    (alpha,) = data["projects"]
    assert [s["name"] for s in alpha["all"]] == ["banana", "apple", "elder"]
    assert alpha["some"] == [{"name": "elder"}]  # banana, elder without apple; the second
    assert [s["name"] for s in alpha["numbered"]] == ["banana", "elder"]


async def test_not_negates_a_condition(gateway: Gateway, sessionmaker: Sessionmaker) -> None:
    await arrange_sessions(sessionmaker)
    data = await gateway.data(
        '{ sessions(where: {not: {or: [{name: {eq: "apple"}}, {number: {isNull: true}}]}}) '
        "{ name } }"
    )
    assert {s["name"] for s in data["sessions"]} == {"banana", "cherry", "elder"}


async def test_a_relation_window_over_the_cap_is_refused_before_anything_is_read(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    await arrange_sessions(sessionmaker)
    gateway.statements.reset()
    errors = await refused(
        gateway, '{ projects { sessions(where: {name: {eq: "x"}}, limit: 500) { name } } }'
    )
    assert "limit" in only_error(errors, "BAD_USER_INPUT")
    assert gateway.statements.count == 0


async def test_a_filter_reaches_through_to_one_relations(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    await arrange_sessions(sessionmaker)
    data = await gateway.data(
        """{ bySubject: sessions(where: {subject: {nickname: {eq: "SUBJONE"}}}) { name }
             byProject: sessions(where: {project: {name: {eq: "beta"}},
                                         not: {subject: {nickname: {startswith: "SUBJ"}}}}) {
               name
             }
             deep: sessions(where: {subject: {project: {name: {icontains: "ALP"}}}}) { name } }"""
    )
    assert {s["name"] for s in data["bySubject"]} == {"apple", "banana"}
    assert [s["name"] for s in data["byProject"]] == ["damson"]
    assert {s["name"] for s in data["deep"]} == {"apple", "banana"}


async def test_a_filter_through_a_relation_never_matches_a_row_the_caller_may_not_see(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    """A visible session about a subject of a private project: filtering on that subject
    would tell an outsider the subject exists."""

    async def recipe(world: World) -> None:
        public = await world.project(name="open")
        private = await world.project(name="closed", is_public=False)
        hidden = await world.subject(private, nickname="HIDDEN1")
        shown = await world.subject(public, nickname="SHOWN1")
        await world.session_row(public, name="visible_run", subject_id=hidden.id)
        await world.session_row(public, name="other_run", subject_id=shown.id)

    await build(sessionmaker, recipe)
    query = '{ sessions(where: {subject: {nickname: {eq: "%s"}}}) { name } }'
    assert await gateway.data(query % "HIDDEN1") == {"sessions": []}
    assert await gateway.data(query % "SHOWN1") == {"sessions": [{"name": "other_run"}]}
    listed = await gateway.data("{ sessions { name subject { nickname } } }")
    assert {"name": "visible_run", "subject": None} in listed["sessions"]
