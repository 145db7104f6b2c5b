"""The Alyx family's reads (seed 003, DOMAIN.md §2): list and detail representations, filters,
the root endpoint, the user actions, and the shape ONE relies on."""

from __future__ import annotations

from typing import Any

import pytest

from tests.rest.alyx.support import TRIALS, Caller, Lab

SESSION_LIST_FIELDS = [
    "id",
    "subject",
    "start_time",
    "number",
    "lab",
    "projects",
    "url",
    "task_protocol",
]
SUBJECT_LIST_FIELDS = [
    "nickname",
    "url",
    "id",
    "responsible_user",
    "birth_date",
    "age_weeks",
    "death_date",
    "species",
    "sex",
    "litter",
    "strain",
    "source",
    "line",
    "projects",
    "session_projects",
    "lab",
    "genotype",
    "description",
    "alive",
    "reference_weight",
    "last_water_restriction",
    "expected_water",
    "remaining_water",
    "json",
]
BASE = "http://testserver"


def nicknames(records: list[dict[str, Any]]) -> list[str]:
    return [r["nickname"] for r in records]


async def session_ids(call: Caller, query: str, who: str | None = "alice") -> list[str]:
    return [r["id"] for r in await call.results(f"/sessions{query}", who)]


async def test_sessions_list_gives_the_summary_representation_newest_first(
    call: Caller, lab: Lab
) -> None:
    records = await call.results("/sessions")
    assert [r["id"] for r in records] == [
        lab.ids["ej2_secret"],
        lab.ids["ej1_evening"],
        lab.ids["ej1_morning"],
    ]
    first = records[0]
    assert list(first) == SESSION_LIST_FIELDS
    assert first == {
        "id": lab.ids["ej2_secret"],
        "subject": "EJ002",
        "start_time": "2024-03-02T10:00:00",
        "number": 1,
        "lab": "churchlandlab",
        "projects": ["secret_project", "open_project"],
        "url": f"{BASE}/sessions/{lab.ids['ej2_secret']}",
        "task_protocol": "_iblrig_tasks_trainingChoiceWorld6.4.2",
    }


async def test_session_detail_adds_narrative_type_users_and_its_datasets(
    call: Caller, lab: Lab
) -> None:
    key = lab.ids["ej1_morning"]
    detail = await call.ok("GET", f"/sessions/{key}", "alice")
    assert detail["id"] == key and detail["url"] == f"{BASE}/sessions/{key}"
    assert detail["narrative"] == "hippocampus recording"
    assert detail["type"] == "Experiment"
    assert detail["users"] == ["alice"]
    assert detail["qc"] == "NOT_SET"
    assert detail["location"] is None and detail["procedures"] == []
    assert detail["end_time"] is None and detail["json"] is None
    datasets = detail["data_dataset_session_related"]
    assert [d["name"] for d in datasets] == [
        "_ibl_trials.intervals.npy",
        "_ibl_wheel.position.npy",
    ]
    trials = datasets[0]
    assert trials["id"] == lab.ids["trials"] and trials["url"].endswith(lab.ids["trials"])
    assert trials["default_revision"] == "True" and trials["file_size"] == len(TRIALS)
    assert trials["data_url"] == (
        f"{BASE}/files/{lab.ids['trials_upload']}/cortexlab/Subjects/EJ001/2024-03-01/001/"
        "alf/_ibl_trials.intervals.npy"
    )


async def test_a_datasets_data_url_downloads_its_file(call: Caller, lab: Lab) -> None:
    detail = await call.ok("GET", f"/sessions/{lab.ids['ej1_morning']}", "alice")
    data_url = detail["data_dataset_session_related"][0]["data_url"]
    response = await call("GET", data_url.removeprefix(BASE), "alice")
    assert response.status_code == 200 and response.content == TRIALS


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?subject=EJ001", ["ej1_evening", "ej1_morning"]),
        ("?subject=ej001", ["ej1_evening", "ej1_morning"]),  # case-insensitive, as in Alyx
        ("?subject=EJ00", []),  # exact, not partial
        ("?nickname=EJ002", ["ej2_secret"]),
        ("?number=2", ["ej1_evening"]),
        ("?lab=CORTEXLAB", ["ej1_evening", "ej1_morning"]),
        ("?task_protocol=training", ["ej2_secret", "ej1_evening"]),
        ("?projects=secret", ["ej2_secret"]),
        ("?projects=open", ["ej2_secret", "ej1_evening", "ej1_morning"]),
        ("?date_range=2024-03-01,2024-03-01", ["ej1_evening", "ej1_morning"]),
        ("?date_range=2024-03-02,2024-03-31", ["ej2_secret"]),
        ("?users=alice", ["ej2_secret", "ej1_morning"]),
        ("?users=alice,eve", ["ej2_secret"]),
        ("?type=experiment", ["ej2_secret", "ej1_evening", "ej1_morning"]),
        ("?datasets=_ibl_trials.intervals.npy", ["ej1_morning"]),
        ("?dataset_types=trials.table", ["ej2_secret"]),
        ("?subject=EJ001&number=1", ["ej1_morning"]),
        ("?django=number__gte,2", ["ej1_evening"]),
        ("?django=subject__nickname__iexact,ej002", ["ej2_secret"]),
        ("?django=task_protocol__icontains,ephys", ["ej1_morning"]),
        ("?django=~number,1", ["ej1_evening"]),
        ("?django=start_time__lt,2024-03-01T12:00:00", ["ej1_morning"]),
        ("?django=number,1,lab__name,cortexlab", ["ej1_morning"]),
        (
            "?django=lab__name__in,[cortexlab, churchlandlab],number__lte,1",
            ["ej2_secret", "ej1_morning"],
        ),
        ("?django=n_trials__isnull,True&subject=EJ002", ["ej2_secret"]),
    ],
)
async def test_session_filters(call: Caller, lab: Lab, query: str, expected: list[str]) -> None:
    assert await session_ids(call, query) == [lab.ids[name] for name in expected]


async def test_ones_id_argument_becomes_a_django_pk_filter(call: Caller, lab: Lab) -> None:
    key = lab.ids["ej1_evening"]
    assert await session_ids(call, f"?django=pk,{key}") == [key]


async def test_visibility_decides_which_sessions_each_caller_lists(call: Caller, lab: Lab) -> None:
    assert await session_ids(call, "", "mallory") == [
        lab.ids[name] for name in ("r1_foreign", "ej1_evening", "ej1_morning")
    ]
    assert await session_ids(call, "", "vic") == [
        lab.ids[name] for name in ("ej2_secret", "ej1_evening", "ej1_morning")
    ]
    hidden = await call("GET", f"/sessions/{lab.ids['r1_foreign']}", "alice")
    assert hidden.status_code == 404
    assert hidden.json() == {"detail": "No Session matches the given query.", "status_code": 404}


async def test_subjects_list_gives_alyxs_list_fields_with_slugs(call: Caller, lab: Lab) -> None:
    records = await call.results("/subjects")
    assert nicknames(records) == ["EJ001", "EJ002", "EJ010"]
    ej001 = records[0]
    assert list(ej001) == SUBJECT_LIST_FIELDS
    assert ej001["url"] == f"{BASE}/subjects/EJ001" and ej001["id"] == lab.ids["EJ001"]
    assert ej001["responsible_user"] == "alice"
    assert ej001["species"] == "Mouse" and ej001["strain"] == "C57BL/6J"
    assert ej001["lab"] == "cortexlab" and ej001["line"] == "C57"
    assert ej001["birth_date"] == "2023-11-01" and isinstance(ej001["age_weeks"], int)
    assert ej001["genotype"] == ["Ai95"] and ej001["alive"] is True
    assert ej001["projects"] == ["open_project"]
    assert ej001["session_projects"] == ["open_project"]
    assert ej001["litter"] is None and ej001["last_water_restriction"] is None
    # Alyx's water control answers 0.0 for a subject without weighings.
    assert ej001["reference_weight"] == ej001["expected_water"] == 0.0
    ej002 = records[1]
    assert ej002["projects"] == ["secret_project", "open_project"]
    assert ej002["description"] == "" and ej002["species"] is None  # as Alyx: "" and null
    ej010 = records[2]
    assert ej010["alive"] is False and ej010["death_date"] == "2024-05-01"
    assert ej010["age_weeks"] is None


async def test_subject_detail_by_nickname_adds_weighings_and_allele_records(
    call: Caller,
) -> None:
    detail = await call.ok("GET", "/subjects/EJ001", "alice")
    assert detail["nickname"] == "EJ001"
    assert detail["genotype"] == [{"allele": "Ai95", "zygosity": None}]
    assert detail["weighings"] == [] and detail["water_administrations"] == []
    missing = await call("GET", "/subjects/NOPE", "alice")
    assert missing.status_code == 404 and missing.json()["status_code"] == 404


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?nickname=EJ002", ["EJ002"]),
        ("?lab=cortexlab", ["EJ001", "EJ010"]),
        ("?alive=false", ["EJ010"]),
        ("?alive=true", ["EJ001", "EJ002"]),
        ("?sex=M", ["EJ002"]),
        ("?species=Mouse", ["EJ001"]),
        ("?responsible_user=alice", ["EJ001"]),
        ("?project=secret_project", ["EJ002"]),
        ("?django=nickname__startswith,EJ00", ["EJ001", "EJ002"]),
        ("?django=birth_date__isnull,False", ["EJ001"]),
    ],
)
async def test_subject_filters(call: Caller, query: str, expected: list[str]) -> None:
    assert nicknames(await call.results(f"/subjects{query}")) == expected


async def test_datasets_are_the_files_registered_to_sessions(call: Caller, lab: Lab) -> None:
    records = await call.results(f"/datasets?session={lab.ids['ej1_morning']}")
    assert sorted(r["name"] for r in records) == [
        "_ibl_trials.intervals.npy",
        "_ibl_wheel.position.npy",
    ]
    everything = await call.results("/datasets")
    assert lab.ids["loose"] not in {r["url"][-36:] for r in everything}  # not a session's file
    trials = await call.ok("GET", f"/datasets/{lab.ids['trials']}", "alice")
    assert "id" not in trials and trials["url"][-36:] == lab.ids["trials"]
    assert trials["session"] == f"{BASE}/sessions/{lab.ids['ej1_morning']}"
    assert trials["created_by"] == "alice" and trials["experiment_number"] == 1
    assert trials["dataset_type"] == "trials.intervals" and trials["data_format"] == "npy"
    assert trials["created_datetime"] == "2024-03-01T12:00:00"
    (record,) = trials["file_records"]
    assert record["exists"] is True and record["data_url"].startswith(f"{BASE}/files/")
    assert await call.results("/datasets?subject=EJ001&dataset_type=wheel.position") == [
        r for r in everything if r["name"] == "_ibl_wheel.position.npy"
    ]
    hidden = await call("GET", f"/datasets/{lab.ids['secret_trials']}", "mallory")
    assert hidden.status_code == 404
    loose = await call("GET", f"/datasets/{lab.ids['loose']}", "alice")
    assert loose.status_code == 404


async def test_the_root_lists_the_endpoint_categories_with_absolute_urls(call: Caller) -> None:
    root = await call.ok("GET", "/", None)
    assert root["sessions"] == f"{BASE}/sessions"
    assert root["subjects"] == f"{BASE}/subjects"
    assert root["datasets"] == f"{BASE}/datasets"
    assert root["users"] == f"{BASE}/users" and root["labs"] == f"{BASE}/labs"


async def test_labs_projects_and_users_are_read_by_name(call: Caller) -> None:
    labs = await call.results("/labs")
    assert [lab["name"] for lab in labs] == ["churchlandlab", "cortexlab"]
    cortex = await call.ok("GET", "/labs/cortexlab", "alice")
    assert cortex["institution"] == "UCL" and cortex["repositories"] == []
    projects = await call.results("/projects", "vic")
    assert [p["name"] for p in projects] == ["open_project", "secret_project"]
    secret = await call.ok("GET", "/projects/secret_project", "vic")
    assert sorted(secret["users"]) == ["alice", "eve", "vic"]
    assert (await call("GET", "/projects/foreign_project", "vic")).status_code == 404
    alice = await call.ok("GET", "/users/alice", "eve")
    assert alice["username"] == "alice" and alice["subjects_responsible"] == ["EJ001"]
    assert alice["email"] is None  # no surface shows addresses
    assert [u["username"] for u in await call.results("/users?username=eve")] == ["eve"]


async def test_user_actions_of_type_experiment_are_their_sessions(call: Caller, lab: Lab) -> None:
    page = await call.ok("GET", "/users/eve/actions?type=experiment", "alice")
    assert [r["id"] for r in page["results"]] == [lab.ids["ej2_secret"]]
    weighings = await call.ok("GET", "/users/eve/actions?type=weighing", "alice")
    assert weighings == {"count": 0, "next": None, "previous": None, "results": []}
    unknown_type = await call("GET", "/users/eve/actions?type=karaoke", "alice")
    assert unknown_type.status_code == 400
    nobody = await call("GET", "/users/nobody/actions?type=experiment", "alice")
    assert nobody.status_code == 404


async def test_paths_work_with_and_without_a_trailing_slash(call: Caller, lab: Lab) -> None:
    key = lab.ids["ej1_morning"]
    assert (await call.ok("GET", f"/sessions/{key}/", "alice"))["id"] == key
    assert nicknames(await call.results("/subjects/?nickname=EJ001")) == ["EJ001"]


async def test_ones_json_content_type_on_a_get_breaks_nothing(call: Caller) -> None:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    assert len(await call.results("/subjects", headers=headers)) == 3


async def test_the_v1_media_type_is_served_and_other_versions_are_refused(call: Caller) -> None:
    v1 = {"Accept": "application/vnd.alyx.v1+json"}
    assert len(await call.results("/subjects", headers=v1)) == 3
    refused = await call(
        "GET", "/subjects", "alice", headers={"Accept": "application/vnd.alyx.v2+json"}
    )
    assert refused.status_code == 406
    assert refused.json()["status_code"] == 406 and "v1" in refused.json()["detail"]


async def test_alyx_pages_hold_up_to_its_own_maximum_whatever_the_gateways(
    make_gateway: Any, lab: Lab
) -> None:
    """Alyx pages hold up to 1,000 records (its LimitedLimitOffsetPagination), even where the
    other families' pages are capped lower."""
    call = Caller(await make_gateway(max_page_size=2), lab)
    for endpoint in ("sessions", "subjects", "datasets"):
        page = await call.ok("GET", f"/{endpoint}?limit=1000", "alice")
        assert page["count"] > 2
        assert len(page["results"]) == page["count"]
    capped = await call.ok("GET", "/sessions?limit=1001", "alice")  # Alyx cuts to 1,000
    assert len(capped["results"]) == capped["count"]
