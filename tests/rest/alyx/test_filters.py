"""Alyx's filtersets (cortex-lab/alyx 3.6.1 ``SessionFilter``, ``SubjectFilter``) and its
paging, as ONE meets them: the filters select what Alyx's select, a parameter Alyx does not
know is ignored, and ``limit`` is read as Django REST framework's ``LimitOffsetPagination``
reads it (capped at 1,000; zero or nonsense gives the default page)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from starlette.datastructures import QueryParams

from gateway.rest.alyx.query import DEFAULT_LIMIT, MAX_LIMIT, alyx_window
from resolvers.query import Window
from tests.rest.alyx.support import Caller, Lab


async def _names(call: Caller, url: str, who: str = "alice") -> list[str]:
    """The lab's names (fixture keys) of the sessions or subjects a list answers."""
    by_id = {value: key for key, value in call.lab.ids.items()}
    records: list[dict[str, Any]] = await call.results(url, who)
    return [r["nickname"] if "nickname" in r else by_id[r["id"]] for r in records]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("limit=1001", Window(MAX_LIMIT, 0)),
        ("limit=1000&offset=5", Window(MAX_LIMIT, 5)),
        ("limit=0", Window(DEFAULT_LIMIT, 0)),
        ("limit=-3", Window(DEFAULT_LIMIT, 0)),
        ("limit=many&offset=x", Window(DEFAULT_LIMIT, 0)),
        ("offset=-1", Window(DEFAULT_LIMIT, 0)),
        ("", Window(DEFAULT_LIMIT, 0)),
        ("limit=7&offset=14", Window(7, 14)),
    ],
)
def test_limit_and_offset_are_read_as_alyxs_pagination_reads_them(
    query: str, expected: Window
) -> None:
    assert alyx_window(QueryParams(query)) == expected


async def test_a_capped_limit_pages_on_with_the_cap(call: Caller) -> None:
    page = await call.ok("GET", "/sessions?limit=1&offset=0", "alice")
    assert len(page["results"]) == 1 and "limit=1&" in page["next"]
    zero = await call.ok("GET", "/sessions?limit=0", "alice")
    assert len(zero["results"]) == zero["count"] == 3 and zero["next"] is None


async def test_parameters_alyx_does_not_know_are_ignored(call: Caller) -> None:
    everything = await _names(call, "/sessions")
    assert await _names(call, "/sessions?exists=True&colour=blue") == everything
    assert await _names(call, "/sessions?colour=blue&subject=EJ002") == ["ej2_secret"]
    assert await _names(call, "/users/alice/actions?type=experiment&colour=blue") == [
        "ej2_secret",
        "ej1_morning",
    ]


async def test_sessions_filter_on_start_time_trials_qc_and_performance(
    call: Caller, lab: Lab
) -> None:
    morning, evening = lab.ids["ej1_morning"], lab.ids["ej1_evening"]
    await call.ok("PATCH", f"/sessions/{morning}", "alice",
                  json={"n_trials": 400, "n_correct_trials": 300, "qc": "PASS"})  # fmt: skip
    await call.ok("PATCH", f"/sessions/{evening}", "alice",
                  json={"n_trials": 3, "n_correct_trials": 2, "qc": "FAIL"})  # fmt: skip
    assert await _names(call, "/sessions?start_time=2024-03-01T09:00:00") == ["ej1_morning"]
    assert await _names(call, "/sessions?n_trials=3") == ["ej1_evening"]
    assert await _names(call, "/sessions?qc=pass") == ["ej1_morning"]
    assert await _names(call, "/sessions?qc=FAIL&n_correct_trials=2") == ["ej1_evening"]
    # 75 % and 66 % (Alyx divides whole numbers): 66.5 parts them.
    assert await _names(call, "/sessions?performance_gte=66.5") == ["ej1_morning"]
    assert await _names(call, "/sessions?performance_lte=66") == ["ej1_evening"]
    assert await _names(call, "/sessions?narrative=hippocampus%20recording") == ["ej1_morning"]
    # Only ej1_morning has datasets (alice cannot see r1_foreign; ej2_secret's is eve's own
    # upload in secret_project, which alice manages).
    assert sorted(await _names(call, "/sessions?dataset_qc_lte=PASS")) == [
        "ej1_morning",
        "ej2_secret",
    ]


@pytest.mark.parametrize(
    ("django", "expected"),
    [
        ("start_time__date,2024-03-01", ["ej1_evening", "ej1_morning"]),
        ("start_time__date__lt,2024-03-02", ["ej1_evening", "ej1_morning"]),
        ("start_time__date__lte,2024-03-01", ["ej1_evening", "ej1_morning"]),
        ("start_time__date__gt,2024-03-01", ["ej2_secret"]),
        ("start_time__date__gte,2024-03-02", ["ej2_secret"]),
        ("~start_time__date,2024-03-01", ["ej2_secret"]),
        ("start_time__date__in,[2024-03-02]", ["ej2_secret"]),
        ("start_time__date,2024-03-01,number,2", ["ej1_evening"]),
        ("start_time__gte,2024-03-01T12:00:00", ["ej2_secret", "ej1_evening"]),
    ],
)
async def test_django_lookups_reach_the_day_of_a_time(
    call: Caller, django: str, expected: list[str]
) -> None:
    assert await _names(call, f"/sessions?django={django}") == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("genotype=Ai95", ["EJ001"]),
        ("description=", ["EJ001", "EJ002", "EJ010"]),  # an empty value filters nothing
        ("stock=false", ["EJ001", "EJ002", "EJ010"]),  # neurogate has no stock managers
        ("stock=true", []),
        ("to_be_culled=false", ["EJ001", "EJ002", "EJ010"]),
        ("to_be_culled=true", []),
        ("litter=L1", []),  # no subject has a litter here
        ("cage=A1&nickname=EJ001", []),
    ],
)
async def test_subject_filters_of_alyxs_filterset(
    call: Caller, query: str, expected: list[str]
) -> None:
    assert await _names(call, f"/subjects?{query}") == expected


async def test_species_and_strain_are_taken_by_uuid_as_alyx_takes_them_or_by_name(
    call: Caller, lab: Lab
) -> None:
    for param, key, name in [("species", "mouse", "Mouse"), ("strain", "c57", "C57BL/6J")]:
        assert await _names(call, f"/subjects?{param}={lab.ids[key]}") == ["EJ001"]
        assert await _names(call, f"/subjects?{param}={name}") == ["EJ001"]
        assert await _names(call, f"/subjects?{param}={uuid.uuid4()}") == []
