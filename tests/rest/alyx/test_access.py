"""Who may read what on the Alyx surface (seed 003): "all endpoints (except for a summary
representation of users and their subjects) are only accessible after authentication", and
an anonymous caller gets Alyx's answer, a 403 ``{"detail": "Authentication credentials were
not provided.", "status_code": 403}``. What a signed-in caller sees is the one visibility
rule's decision."""

from __future__ import annotations

import pytest

from tests.rest.alyx.support import Caller, Lab

REFUSED = {"detail": "Authentication credentials were not provided.", "status_code": 403}


@pytest.mark.parametrize(
    "url",
    [
        "/sessions",
        "/sessions?subject=EJ001",
        "/sessions/{ej1_morning}",
        "/subjects/EJ001",
        "/datasets",
        "/datasets/{trials}",
        "/labs",
        "/labs/cortexlab",
        "/projects",
        "/projects/open_project",
        "/users/alice/actions?type=experiment",
    ],
)
async def test_anonymous_reads_are_refused_with_alyxs_403(
    call: Caller, lab: Lab, url: str
) -> None:
    response = await call("GET", url.format(**lab.ids), None)
    assert response.status_code == 403, response.text
    assert response.json() == REFUSED
    # Signed in, the same URL answers.
    assert (await call("GET", url.format(**lab.ids), "alice")).status_code == 200


async def test_the_summary_of_users_and_their_subjects_is_public(call: Caller) -> None:
    users = await call.results("/users", None)
    alice = next(u for u in users if u["username"] == "alice")
    assert alice["subjects_responsible"] == ["EJ001"]
    assert (await call.ok("GET", "/users/alice", None))["username"] == "alice"
    # The subjects' summary, as the public portal shows it (EJ002's owner is private).
    subjects = await call.results("/subjects", None)
    assert [s["nickname"] for s in subjects] == ["EJ001", "EJ002", "EJ010"][::2]


@pytest.mark.parametrize(
    ("method", "url"),
    [("POST", "/subjects"), ("PATCH", "/subjects/EJ001"), ("DELETE", "/sessions/{ej1_morning}")],
)
async def test_anonymous_writes_are_refused_with_alyxs_403(
    call: Caller, lab: Lab, method: str, url: str
) -> None:
    response = await call(method, url.format(**lab.ids), None, json={"nickname": "X"})
    assert response.status_code == 403
    assert response.json() == REFUSED
