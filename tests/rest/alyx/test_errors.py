"""Bad input anywhere in the Alyx family is a 400 in its format, ``{"detail", "status_code"}``
(or Django REST framework's ``{field: [message]}`` for a body field), never a 500; tokens and
methods are refused the way ONE expects."""

from __future__ import annotations

import pytest

from tests.conftest import Gateway
from tests.rest.alyx.support import Caller, Lab

A_UUID = "6f1e1c3a-9f1b-4a52-a1d1-0e6b3d2c1a00"


@pytest.mark.parametrize(
    "url",
    [
        "/sessions?number=three",  # a wrong type
        "/sessions?id=not-a-uuid",
        "/sessions/not-a-uuid",  # a bad UUID in the path
        "/datasets/not-a-uuid",
        "/datasets?session=12",
        "/sessions?date_range=2024-01-01",
        "/sessions?date_range=yesterday,today",
        "/sessions?users=,",
        "/sessions?django=number__gte",  # an odd number of items
        "/sessions?django=colour,blue",  # an unknown field
        "/sessions?django=number__regex,1",  # an unsupported lookup
        "/sessions?django=narrative__iexact,x",  # iexact where it is not offered
        "/sessions?django=~number__gte,1",  # exclusion of anything but exact
        "/sessions?django=number__in,[1,",
        "/sessions?django=id__icontains,abc",  # a lookup the field's type has not
        "/sessions?django=n_trials__isnull,maybe",
        "/subjects?alive=perhaps",
        "/subjects?birth_date=01/02/2024",
        "/sessions?qc=EXCELLENT",  # not a QC name
        "/sessions?dataset_qc_lte=7",
        "/sessions?performance_gte=most",
        "/sessions?django=start_time__date__lt,yesterday",
        "/sessions?django=number__date,2024-03-01",  # a date of what is not a time
        "/sessions?offset=2147483648",  # past the furthest page
        "/users/alice/actions?type=surgery_of_sorts",
    ],
)
async def test_bad_query_input_is_a_400_with_detail(call: Caller, url: str) -> None:
    response = await call("GET", url, "alice")
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["status_code"] == 400 and isinstance(body["detail"], str), body


@pytest.mark.parametrize(
    ("method", "url", "content"),
    [
        ("POST", "/subjects", b"{not json"),
        ("POST", "/sessions", b"[1, 2]"),
        ("PATCH", "/subjects/EJ001", b"\xff\xfe"),
        ("PUT", "/sessions/{ej1_morning}", b"{"),
    ],
)
async def test_a_malformed_body_is_a_400(
    call: Caller, lab: Lab, method: str, url: str, content: bytes
) -> None:
    headers = {"Content-Type": "application/json"}
    url = url.format(**lab.ids)
    response = await call(method, url, "alice", content=content, headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["status_code"] == 400


async def test_an_invalid_token_is_a_403_invalid_token(call: Caller) -> None:
    """ONE logs in again only on a 403 whose body holds ``"Invalid token."``."""
    response = await call("GET", "/sessions", headers={"Authorization": "Token 0123abcd"})
    assert response.status_code == 403
    assert response.json() == {"detail": "Invalid token.", "status_code": 403}
    assert '"Invalid token."' in response.text


async def test_bad_credentials_are_a_400_as_in_django_rest_framework(gateway: Gateway) -> None:
    response = await gateway.client.post(
        "/auth-token", data={"username": "alice", "password": "wrong"}
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("DELETE", "/datasets", 405),  # datasets are registered by uploading them
        ("POST", "/datasets", 405),
        ("PATCH", "/sessions", 405),
        ("GET", f"/sessions/{A_UUID}/notes", 404),
        ("GET", f"/sessions/{A_UUID}", 404),
    ],
)
async def test_unsupported_methods_and_paths_answer_in_alyx_format(
    call: Caller, method: str, url: str, status: int
) -> None:
    response = await call(method, url, "alice")
    assert response.status_code == status
    assert response.json()["status_code"] == status
