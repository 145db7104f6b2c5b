"""Alyx writes (DOMAIN.md §2.5, CLIENTS.md): subjects by nickname and sessions by UUID are
created (201), changed (PUT/PATCH, 200) and deleted (204, empty) through the experiments
resolvers, with related rows named by slug and errors under Alyx's field names."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest

from gateway.db.models._base import utcnow
from tests.rest.alyx.support import Caller, Lab


class _AnyText:
    """Equal to any non-empty message (field errors are checked by field and status)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and bool(re.search(r"\w", other))


ANY_TEXT = _AnyText()
NEW_SUBJECT = {
    "nickname": "NEW01",
    "projects": ["secret_project", "open_project"],
    "sex": "M",
    "birth_date": "2024-02-01",
    "strain": "C57BL/6J",
    "genotype": ["Ai95", "Cre"],
    "line": "C57",
    "description": "",
    "json": {"cage": "A1"},
}


async def test_a_subject_is_created_with_slugs_and_answered_with_its_detail(call: Caller) -> None:
    response = await call("POST", "/subjects", "alice", json=NEW_SUBJECT)
    assert response.status_code == 201, response.text
    made = response.json()
    assert made["url"] == "http://testserver/subjects/NEW01"
    assert made["projects"] == ["secret_project", "open_project"]
    assert made["strain"] == "C57BL/6J" and made["species"] == "Mouse"  # from the strain
    assert made["genotype"] == [{"allele": "Ai95, Cre", "zygosity": None}]
    assert made["responsible_user"] == "alice" and made["description"] == ""
    assert made["json"] == {"cage": "A1"} and made["line"] == "C57"
    listed = await call.results("/subjects?nickname=NEW01", "eve")  # an editor of one of them
    assert [s["id"] for s in listed] == [made["id"]]


async def test_a_subject_is_changed_and_deleted_by_nickname(call: Caller) -> None:
    await call.ok("POST", "/subjects", "alice", json=NEW_SUBJECT)
    patched = await call.ok("PATCH", "/subjects/NEW01", "eve", json={"sex": "F"})
    assert patched["sex"] == "F" and patched["strain"] == "C57BL/6J"
    replaced = await call.ok(
        "PUT", "/subjects/NEW01", "alice", json={"nickname": "NEW02", "projects": ["open_project"]}
    )
    # PUT replaces: what it leaves out goes back to the defaults.
    assert replaced["nickname"] == "NEW02" and replaced["sex"] == "U"
    assert replaced["strain"] is None and replaced["projects"] == ["open_project"]
    assert (await call("GET", "/subjects/NEW01", "alice")).status_code == 404
    deleted = await call("DELETE", "/subjects/NEW02", "alice")
    assert deleted.status_code == 204 and deleted.content == b""
    assert (await call("GET", "/subjects/NEW02", "alice")).status_code == 404


async def test_a_read_record_can_be_sent_back_read_only_fields_are_ignored(call: Caller) -> None:
    made = await call.ok("POST", "/subjects", "alice", json=NEW_SUBJECT)
    made.pop("responsible_user")  # settable through the resolvers once they take it
    made["description"] = "sent back"
    again = await call.ok("PUT", "/subjects/NEW01", "alice", json=made)
    assert again["description"] == "sent back" and again["id"] == made["id"]
    assert again["genotype"] == made["genotype"]


async def test_a_session_is_created_changed_and_deleted(call: Caller, lab: Lab) -> None:
    body = {
        "subject": "EJ002",
        "projects": ["secret_project"],
        "type": "Experiment",
        "task_protocol": "_iblrig_tasks_biasedChoiceWorld",
        "number": 3,
        "start_time": "2024-04-01T08:00:00Z",
        "end_time": "2024-04-01T09:00:00+01:00",
        "narrative": "biased block",
        "json": {"rig": "rig1"},
        "procedures": [],  # Alyx has it; blank, so accepted
    }
    response = await call("POST", "/sessions", "eve", json=body)
    assert response.status_code == 201, response.text
    made = response.json()
    key = made["id"]
    assert made["url"] == f"http://testserver/sessions/{key}"
    assert made["subject"] == "EJ002" and made["projects"] == ["secret_project"]
    assert made["start_time"] == "2024-04-01T08:00:00"
    assert made["end_time"] == "2024-04-01T08:00:00"  # stored in UTC
    assert made["json"] == {"rig": "rig1"} and made["narrative"] == "biased block"
    patched = await call.ok("PATCH", f"/sessions/{key}", "eve", json={"number": 4})
    assert patched["number"] == 4 and patched["task_protocol"] == body["task_protocol"]
    assert await call.results("/sessions?subject=EJ002&number=4", "eve") == [
        {k: patched[k] for k in ("id", "subject", "start_time", "number", "lab", "projects",
                                 "url", "task_protocol")}
    ]  # fmt: skip
    deleted = await call("DELETE", f"/sessions/{key}", "eve")
    assert deleted.status_code == 204 and deleted.content == b""
    assert (await call("GET", f"/sessions/{key}", "eve")).status_code == 404


async def test_a_session_without_a_start_time_shows_when_it_was_recorded(call: Caller) -> None:
    """ONE parses every listed session's start_time: it is never null."""
    body = {"subject": "EJ002", "projects": ["secret_project"]}
    made = await call.ok("POST", "/sessions", "eve", json=body)
    recorded = datetime.fromisoformat(made["start_time"])
    assert recorded.tzinfo is None and abs(recorded - utcnow()) < timedelta(minutes=5)
    (listed,) = await call.results(f"/sessions?django=pk,{made['id']}", "eve")
    assert listed["start_time"] == made["start_time"]


@pytest.mark.parametrize(
    ("who", "method", "status", "detail"),
    [
        (None, "PATCH", 403, "Authentication credentials were not provided."),
        ("vic", "PATCH", 403, None),  # a viewer of secret_project; EJ001 is open_project's
        ("mallory", "DELETE", 403, None),
        ("alice", "PATCH", 200, None),
    ],
)
async def test_who_may_change_a_subject_is_the_resolvers_decision(
    call: Caller, who: str | None, method: str, status: int, detail: str | None
) -> None:
    response = await call(method, "/subjects/EJ001", who, json={"description": "x"})
    assert response.status_code == status, response.text
    if status != 200:
        assert response.json()["status_code"] == status
    if detail is not None:
        assert response.json()["detail"] == detail


async def test_a_hidden_session_is_not_found_for_a_write(call: Caller, lab: Lab) -> None:
    response = await call("PATCH", f"/sessions/{lab.ids['r1_foreign']}", "alice", json={})
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"projects": ["no_such_project"]}, "projects"),
        ({"projects": ["foreign_project"]}, "projects"),  # hidden: reported like a missing one
        ({"projects": []}, "lab"),  # without projects, a subject needs its lab
        ({"strain": "Wistar"}, "strain"),
        ({"nickname": "EJ001"}, "nickname"),  # taken
        ({"sex": "X"}, "sex"),
        ({"birth_date": "yesterday"}, "birth_date"),
        ({"json": {"1bad": 1}}, "json"),
        ({"litter": "L7"}, "litter"),  # Alyx has it; neurogate does not store it
        ({"colour": "brown"}, "colour"),
        ({"lab": "no_such_lab"}, "lab"),
    ],
)
async def test_bad_subject_fields_are_400s_under_alyx_names(
    call: Caller, change: dict[str, Any], field: str
) -> None:
    response = await call("POST", "/subjects", "alice", json={**NEW_SUBJECT, **change})
    assert response.status_code == 400, response.text
    assert response.json() == {field: [ANY_TEXT], "status_code": 400}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"subject": "NOBODY"}, "subject"),
        ({"subject": "R001"}, "subject"),  # hidden from eve
        ({"start_time": "soon"}, "start_time"),
        ({"number": "three"}, "number"),
        ({"qc": "SPLENDID"}, "qc"),
        ({"location": "rig 3"}, "location"),
    ],
)
async def test_bad_session_fields_are_400s_under_alyx_names(
    call: Caller, change: dict[str, Any], field: str
) -> None:
    body = {"subject": "EJ002", "projects": ["secret_project"], **change}
    response = await call("POST", "/sessions", "eve", json=body)
    assert response.status_code == 400, response.text
    assert response.json() == {field: [ANY_TEXT], "status_code": 400}


async def test_a_form_encoded_write_is_accepted_like_json(call: Caller) -> None:
    response = await call(
        "POST", "/subjects", "alice", data={"nickname": "FORM1", "projects": "open_project"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["projects"] == ["open_project"]


async def test_labs_owners_and_trial_counts_are_written_and_a_session_inherits_its_subjects_lab(
    call: Caller,
) -> None:
    made = await call.ok(
        "POST",
        "/subjects",
        "alice",
        json={**NEW_SUBJECT, "lab": "cortexlab", "responsible_user": "eve"},
    )
    assert made["lab"] == "cortexlab" and made["responsible_user"] == "eve"
    session = await call.ok(
        "POST",
        "/sessions",
        "eve",
        json={"subject": "EJ002", "projects": ["secret_project"], "n_trials": 612,
              "n_correct_trials": 500, "start_time": "2024-04-02T08:00:00Z"},
    )  # fmt: skip
    assert session["lab"] == "churchlandlab"  # EJ002's lab
    assert session["n_trials"] == 612 and session["n_correct_trials"] == 500
    moved = await call.ok("PATCH", f"/sessions/{session['id']}", "eve", json={"lab": "cortexlab"})
    assert moved["lab"] == "cortexlab"
    unknown = await call("PATCH", f"/sessions/{session['id']}", "eve", json={"lab": "nolab"})
    assert unknown.status_code == 400 and "lab" in unknown.json()
