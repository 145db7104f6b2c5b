"""The Alyx shim beside a real Alyx server, field by field (issue 16's comparison harness).

``python -m bench.alyx_compare --reference http://127.0.0.1:8001 --user admin --password PW``

Not a benchmark and not part of ``make test``: it needs a real Alyx server that you run
yourself (its own project, its own PostgreSQL database; nothing of it is in this repository).
The harness starts neurogate on a fresh SQLite database with the same superuser, then talks
to both servers only through Alyx's REST API, as ONE does:

1. it writes the same records to both (``STEPS``: a lab, a project, subjects with and without
   a project, sessions with experimenters, weighings, water, …), each name carrying this run's
   tag so that a reference database kept between runs never collides;
2. it reads the same URLs from both (``CHECKS``: lists with filters, details, anonymous reads)
   and compares status codes and every field of the answers, after mapping each server's own
   ids (UUIDs, URLs, its base address, the run's tag) back to the labels of the records the
   harness created;
3. it prints, per URL, the fields compared and each difference, then a summary.

A step that one server refuses is a difference too (an endpoint neurogate does not serve yet
answers 404 there); the steps that depend on it are skipped on both, and say so.

Some records real Alyx writes only through its admin site (water restrictions, surgeries).
With ``--reference-shell`` (a command that runs Python in the reference's Django, e.g.
``"/work/alyx-real/venv/bin/python /work/alyx-real/alyx/manage.py shell -c"``) the harness
writes them there as ``SEEDS`` (the ORM, as the admin saves them) and through GraphQL here;
without it those seeds and the checks that need them are skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench._serve import GATEWAY, uvicorn


@dataclass(frozen=True)
class Ref:
    """The key of a record an earlier step created (``attr`` of its answer: its id, or the
    name the endpoint looks it up by)."""

    label: str
    attr: str = "id"


@dataclass(frozen=True)
class Step:
    label: str
    path: str  # may hold "{label}" or "{label.attr}" of earlier steps
    body: dict[str, Any]
    method: str = "POST"


@dataclass(frozen=True)
class Check:
    path: str  # may hold "{label}"/"{label.attr}" and "{tag}"
    signed_in: bool = True
    # Fields whose values are the server's own clock or counters (compared for presence only).
    volatile: frozenset[str] = frozenset()


def _steps() -> list[Step]:
    lab, project = "cmp_lab_{tag}", "cmp_project_{tag}"
    subject = {"lab": lab, "responsible_user": "{user}", "sex": "F", "birth_date": "2024-01-15"}
    return [
        Step("lab", "/labs", {"name": lab, "institution": "Comparison Institute",
                              "address": "1 Test Road", "timezone": "Europe/London"}),
        Step("project", "/projects", {"name": project, "description": "comparison",
                                      "users": ["{user}"]}),
        Step("subject", "/subjects", {**subject, "nickname": "cmp_mouse_{tag}",
                                      "projects": [project], "description": "a test mouse"}),
        Step("loner", "/subjects", {**subject, "nickname": "cmp_loner_{tag}", "sex": "M"}),
        Step("session", "/sessions", {
            "subject": "cmp_mouse_{tag}", "lab": lab, "projects": [project], "number": 1,
            "start_time": "2024-06-17T15:57:51", "end_time": "2024-06-17T16:30:00.250000",
            "task_protocol": "cmp_protocol", "type": "Experiment", "users": ["{user}"],
            "n_trials": 400, "n_correct_trials": 310, "narrative": "", "qc": "PASS",
        }),
        Step("session2", "/sessions", {
            "subject": "cmp_mouse_{tag}", "lab": lab, "projects": [project], "number": 2,
            "start_time": "2024-06-18T09:00:00", "task_protocol": "cmp_protocol",
        }),
        Step("weighing", "/weighings", {"subject": "cmp_mouse_{tag}", "weight": 24.5,
                                         "date_time": "2024-06-16T09:00:00"}),
        Step("water", "/water-administrations", {
            "subject": "cmp_mouse_{tag}", "water_administered": 0.8,
            "date_time": "2024-06-17T17:00:00", "session": "{session}",
        }),
        Step("note_session", "/sessions/{session}", {"narrative": "changed"}, method="PATCH"),
    ]


@dataclass(frozen=True)
class Seed:
    """A record written outside Alyx's REST API: by ``python`` in the reference's Django shell
    (which prints the record's JSON) and by the ``graphql`` mutation here (whose one field's
    answer is the record); both may hold "{label}"/"{label.attr}", "{tag}" and "{user}"."""

    label: str
    python: str
    graphql: str


def _restriction(start: str, end: str | None, users: str) -> str:
    # Alyx runs with USE_TZ = False: its times are naive, as the REST API writes them.
    ended = "None" if end is None else f"datetime.fromisoformat('{end}')"
    return (
        "import json; from datetime import datetime; "
        "from actions.models import WaterRestriction; from subjects.models import Subject; "
        "from misc.models import LabMember; "
        "r = WaterRestriction.objects.create("
        "subject=Subject.objects.get(nickname='cmp_mouse_{tag}'), "
        f"start_time=datetime.fromisoformat('{start}'), end_time={ended}); "
        f"r.users.set(LabMember.objects.filter(username__in=[{users}])); "
        "print(json.dumps({'id': str(r.id)}))"
    )


def _seeds() -> list[Seed]:
    subject = 'subjectId: "{subject}"'
    return [
        # Alyx's admin fills users with the signed-in user; the reference's shell names it,
        # neurogate is left to default to the caller.
        Seed("restriction_ended",
             _restriction("2024-06-01T08:00:00", "2024-06-10T08:00:00", "'{user}'"),
             f'createWaterRestriction(input: {{{subject}, startTime: "2024-06-01T08:00:00", '
             'endTime: "2024-06-10T08:00:00"}) { ... on WaterRestriction { id } }'),
        Seed("restriction_now", _restriction("2024-06-17T08:00:00", None, "'{user}'"),
             f'createWaterRestriction(input: {{{subject}, startTime: "2024-06-17T08:00:00"}}) '
             '{ ... on WaterRestriction { id } }'),
        Seed("surgery",
             "import json; from datetime import datetime; "
             "from actions.models import Surgery; from subjects.models import Subject; "
             "from misc.models import LabMember; "
             "s = Surgery.objects.create(subject=Subject.objects.get(nickname='cmp_mouse_{tag}'), "
             "start_time=datetime.fromisoformat('2024-06-01T07:00:00'), "
             "implant_weight=1.5); "
             "s.users.set(LabMember.objects.filter(username='{user}')); "
             "print(json.dumps({'id': str(s.id)}))",
             f'createSurgery(input: {{{subject}, startTime: "2024-06-01T07:00:00", '
             'implantWeight: 1.5}) '
             '{ ... on Surgery { id } }'),
    ]


def _checks() -> list[Check]:
    made = frozenset({"json", "auto_datetime", "created_datetime", "date_time"})
    return [
        Check("/users/{user}"),
        Check("/users?username={user}"),
        Check("/labs/cmp_lab_{tag}"),
        Check("/labs?name=cmp_lab_{tag}"),
        Check("/projects/cmp_project_{tag}"),
        Check("/subjects/cmp_mouse_{tag}"),
        Check("/subjects/cmp_loner_{tag}"),
        Check("/subjects?lab=cmp_lab_{tag}"),
        Check("/subjects?nickname=cmp_mouse_{tag}&alive=True"),
        Check("/subjects?project=cmp_project_{tag}"),
        Check("/subjects?lab=cmp_lab_{tag}", signed_in=False),
        Check("/sessions/{session}", volatile=made),
        Check("/sessions?lab=cmp_lab_{tag}"),
        Check("/sessions?subject=cmp_mouse_{tag}&number=1"),
        Check("/sessions?lab=cmp_lab_{tag}&date_range=2024-06-17,2024-06-17"),
        Check("/sessions?lab=cmp_lab_{tag}&task_protocol=cmp_proto"),
        Check("/sessions?lab=cmp_lab_{tag}&users={user}"),
        Check("/sessions?lab=cmp_lab_{tag}&unknown_parameter=1"),
        Check("/sessions?lab=cmp_lab_{tag}&limit=1"),
        Check("/sessions?lab=cmp_lab_{tag}&django=start_time__date__gt,2024-06-17"),
        Check("/sessions?lab=cmp_lab_{tag}", signed_in=False),
        Check("/sessions/{session}", signed_in=False),
        Check("/weighings?subject=cmp_mouse_{tag}"),
        Check("/water-administrations?subject=cmp_mouse_{tag}"),
        Check("/water-requirement/cmp_mouse_{tag}?start_date=2024-06-16&end_date=2024-06-18"),
        Check("/water-restricted-subjects"),
        Check("/water-type"),
        Check("/dataset-types?name=trials.table"),
        Check("/data-formats?name=parquet"),
        Check("/procedures"),
        Check("/brain-regions?acronym=VISp"),
        Check("/subjects?lab=cmp_lab_{tag}&species=Laboratory mouse"),
        Check("/water-restriction?subject=cmp_mouse_{tag}"),
        Check("/water-restriction?subject=cmp_mouse_{tag}&users={user}"),
        Check("/surgeries?subject=cmp_mouse_{tag}", volatile=made),
        Check("/surgeries?subject=cmp_mouse_{tag}&users={user}", volatile=made),
        Check("/surgeries/{surgery}", volatile=made),
        Check("/sessions?lab=cmp_lab_{tag}&atlas_acronym=VISp"),
        Check("/sessions?lab=cmp_lab_{tag}&atlas_id=385"),
        Check("/sessions?lab=cmp_lab_{tag}&atlas_name=visual"),
        Check("/sessions?lab=cmp_lab_{tag}&atlas_id=VISp"),
        Check("/subjects/does_not_exist_{tag}"),
        Check("/sessions/00000000-0000-4000-8000-000000000000"),
    ]


@dataclass
class Server:
    name: str
    base: str
    user: str
    token: str = ""
    tag: str = ""
    keys: dict[str, dict[str, Any]] = field(default_factory=dict)  # label -> created record
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=60))

    def sign_in(self, password: str) -> None:
        answer = self.http.post(f"{self.base}/auth-token",
                                data={"username": self.user, "password": password})
        answer.raise_for_status()
        self.token = answer.json()["token"]

    def fill(self, text: str) -> str:
        def one(match: re.Match[str]) -> str:
            name, _, attr = match.group(1).partition(".")
            if name == "tag":
                return self.tag
            if name == "user":
                return self.user
            record = self.keys.get(name)
            if record is None:
                raise LookupError(name)
            value = record.get(attr or "id")
            if value is None and not attr:  # Alyx's lists and details name records by url
                value = str(record.get("url", "")).rstrip("/").rsplit("/", 1)[-1]
            return str(value)

        return re.sub(r"\{([a-z_0-9.]+)\}", one, text)

    def filled(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.fill(value)
        if isinstance(value, list):
            return [self.filled(v) for v in value]
        if isinstance(value, dict):
            return {k: self.filled(v) for k, v in value.items()}
        return value

    def call(self, method: str, path: str, body: Any = None,
             signed_in: bool = True) -> tuple[int, Any]:
        headers = {"Authorization": f"Token {self.token}"} if signed_in else {}
        answer = self.http.request(method, f"{self.base}{path}", json=body, headers=headers)
        try:
            return answer.status_code, answer.json()
        except ValueError:
            return answer.status_code, answer.text[:200]

    def normalise(self, value: Any) -> Any:
        """The server's own ids, base address and run tag as the harness's labels; names that
        earlier runs left in a kept reference database are left out of lists."""
        if isinstance(value, dict):
            return {k: self.normalise(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.normalise(v) for v in value if not self._earlier_run(v)]
        if not isinstance(value, str):
            return value
        labels = {_key(r): label for label, r in self.keys.items() if _key(r)}
        if value in labels:
            return "{" + labels[value] + "}"
        text = value.replace(self.base, "{base}").replace(self.tag, "{tag}")
        for ident, label in labels.items():
            if len(ident) >= 32:  # a UUID inside a URL; short ids only as whole values
                text = text.replace(ident, "{" + label + "}")
        return text

    def _earlier_run(self, value: Any) -> bool:
        """A name an earlier run wrote, or a record of one (a dict naming one)."""
        if isinstance(value, dict):
            return any(self._earlier_run(v) for v in value.values() if isinstance(v, str))
        return isinstance(value, str) and value.startswith("cmp_") and self.tag not in value


def _key(record: dict[str, Any]) -> str:
    """A created record's id, or the last segment of its url (Alyx's actions have no id)."""
    if record.get("id"):
        return str(record["id"])
    return str(record.get("url") or "").rstrip("/").rsplit("/", 1)[-1]


def _differences(path: str, left: Any, right: Any, volatile: frozenset[str]) -> Iterator[str]:
    if isinstance(left, dict) and isinstance(right, dict):
        for key in sorted(left.keys() | right.keys()):
            where = f"{path}.{key}" if path else key
            if key not in right:
                yield f"{where}: only in the reference ({_short(left[key])})"
            elif key not in left:
                yield f"{where}: only in neurogate ({_short(right[key])})"
            elif key not in volatile:
                yield from _differences(where, left[key], right[key], volatile)
        return
    if isinstance(left, list) and isinstance(right, list):
        if len(left) != len(right):
            yield f"{path}: {len(left)} items in the reference, {len(right)} in neurogate"
        for i, (a, b) in enumerate(zip(left, right, strict=False)):
            yield from _differences(f"{path}[{i}]", a, b, volatile)
        return
    if left != right:
        yield f"{path}: reference {_short(left)} vs neurogate {_short(right)}"


def _fields(value: Any) -> int:
    if isinstance(value, dict):
        return sum(_fields(v) for v in value.values()) or 1
    if isinstance(value, list):
        return sum(_fields(v) for v in value) or 1
    return 1


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _run_steps(servers: list[Server]) -> list[str]:
    report = []
    for step in _steps():
        answers = []
        for server in servers:
            try:
                path, body = server.fill(step.path), server.filled(step.body)
            except LookupError as missing:
                answers.append((None, f"needs {missing}"))
                continue
            answers.append(server.call(step.method, path, body))
        (ref_status, ref_body), (our_status, our_body) = answers
        line = f"{step.method} {step.path} [{step.label}]: "
        if ref_status is None and our_status is None:
            report.append(line + f"skipped on both: it {ref_body}")
            continue
        line += f"reference {ref_status}, neurogate {our_status}"
        if ref_status in (200, 201) and our_status in (200, 201):
            servers[0].keys[step.label] = ref_body
            servers[1].keys[step.label] = our_body
        else:
            line += f"  <- DIFFERENT: reference {_short(ref_body)}; neurogate {_short(our_body)}"
        report.append(line)
    return report


def _mirror_water_types(servers: list[Server]) -> list[str]:
    """The water types of the reference (Alyx's init fixtures) written here too, so that the
    water type Alyx's models default to exists on both."""
    reference, ours = servers
    status, page = reference.call("GET", "/water-type?limit=1000")
    if status != 200:
        return [f"water types: the reference answers {status}"]
    names = [t["name"] for t in page["results"]]
    for name in names:
        made = f"createWaterType(input: {{name: {json.dumps(name)}}}) {{ __typename }}"
        ours.call("POST", "/graphql", {"query": f"mutation {{ {made} }}"})
    return [f"water types of the reference written here: {', '.join(names)}"]


def _run_seeds(servers: list[Server], shell: str | None) -> list[str]:
    report = []
    for seed in _seeds():
        if shell is None:
            report.append(f"seed [{seed.label}]: skipped on both: no --reference-shell")
            continue
        reference, ours = servers
        try:
            code, mutation = reference.fill(seed.python), ours.fill(seed.graphql)
        except LookupError as missing:
            report.append(f"seed [{seed.label}]: skipped on both: it needs {missing}")
            continue
        ran = subprocess.run([*shlex.split(shell), code], capture_output=True, text=True)
        ref = json.loads(ran.stdout.strip().splitlines()[-1]) if ran.returncode == 0 else None
        status, body = ours.call("POST", "/graphql", {"query": f"mutation {{ {mutation} }}"})
        made = None
        if status == 200 and isinstance(body, dict) and not body.get("errors"):
            made = next(iter((body.get("data") or {}).values()), None)
        line = f"seed [{seed.label}]: reference {'made' if ref else 'failed'}, neurogate "
        line += "made" if made else f"failed {_short(body)}"
        if ref and made:
            reference.keys[seed.label], ours.keys[seed.label] = ref, made
        elif not ref:
            line += f"  <- reference: {_short(ran.stderr.strip()[-300:])}"
        report.append(line)
    return report


def _run_checks(servers: list[Server]) -> tuple[list[str], int, int]:
    report, compared, differing = [], 0, 0
    for check in _checks():
        answers = []
        for server in servers:
            try:
                path = server.fill(check.path)
            except LookupError as missing:
                answers.append((None, f"its step {missing} failed"))
                continue
            status, body = server.call("GET", path, signed_in=check.signed_in)
            answers.append((status, server.normalise(body)))
        (ref_status, ref_body), (our_status, our_body) = answers
        who = "" if check.signed_in else " (anonymous)"
        if ref_status is None and our_status is None:
            report.append(f"GET {check.path}{who}: skipped on both: {ref_body}")
            continue
        if ref_status != our_status:
            differing += 1
            report.append(f"GET {check.path}{who}: status reference {ref_status}, neurogate "
                          f"{our_status}\n    reference: {_short(ref_body)}\n    neurogate: "
                          f"{_short(our_body)}")
            continue
        found = list(_differences("", ref_body, our_body, check.volatile))
        count = _fields(ref_body)
        compared += count
        differing += len(found)
        head = f"GET {check.path}{who}: {ref_status}, {count} fields, {len(found)} differences"
        report.append("\n    ".join([head, *found]))
    return report, compared, differing


def _gateway_env(folder: Path) -> dict[str, str]:
    return {
        "NEUROGATE_DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'neurogate.db'}",
        "NEUROGATE_STORAGE_DIR": str(folder / "storage"),
        "NEUROGATE_RATE_LIMIT_AUTHENTICATED": "1000000/minute",
        "NEUROGATE_RATE_LIMIT_ANONYMOUS": "1000000/minute",
    }


def _cli(env: dict[str, str], *args: str) -> None:
    command = [str(Path(sys.executable).with_name("neurogate")), *args]
    subprocess.run(command, env={**os.environ, **env}, check=True, capture_output=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.alyx_compare", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reference", required=True, help="base URL of the real Alyx server")
    parser.add_argument("--user", required=True, help="a superuser of the real Alyx server")
    parser.add_argument("--password", required=True)
    parser.add_argument("--neurogate", help="base URL of a running neurogate with the same "
                        "superuser (default: one started here on a fresh SQLite database)")
    parser.add_argument("--tag", default=uuid.uuid4().hex[:8],
                        help="the suffix of every name the run writes (default: a new one)")
    parser.add_argument("--reference-shell", help="a command running Python code given as its "
                        "last argument in the reference's Django (its manage.py shell -c)")
    args = parser.parse_args(argv)
    if args.neurogate:
        compare(args.reference, args.neurogate.rstrip("/"), args.user, args.password, args.tag,
                args.reference_shell)
        return
    with tempfile.TemporaryDirectory() as folder:
        env = _gateway_env(Path(folder))
        _cli(env, "migrate")
        _cli(env, "createuser", "--username", args.user, "--email", f"{args.user}@example.org",
             "--password", args.password, "--admin")
        with uvicorn(GATEWAY, env) as (base, _):
            compare(args.reference, base, args.user, args.password, args.tag,
                    args.reference_shell)


def compare(
    reference: str, base: str, user: str, password: str, tag: str, shell: str | None = None
) -> None:
    servers = [Server("reference", reference.rstrip("/"), user, tag=tag),
               Server("neurogate", base, user, tag=tag)]
    for server in servers:
        server.sign_in(password)
        status, me = server.call("GET", f"/users/{user}")
        if status == 200:
            server.keys["user"] = {"id": me.get("id")}
    print(f"run tag {tag}; reference {servers[0].base}; neurogate {base}\n")
    print("Reference lists (Alyx's init fixtures), copied here first:")
    print("\n".join(f"  {line}" for line in _mirror_water_types(servers)))
    print("\nWrites, the same to both:")
    print("\n".join(f"  {line}" for line in _run_steps(servers)))
    print("\nRecords Alyx writes through its admin site (its ORM there, GraphQL here):")
    print("\n".join(f"  {line}" for line in _run_seeds(servers, shell)))
    print("\nReads, field by field (reference vs neurogate):")
    report, compared, differing = _run_checks(servers)
    print("\n".join(f"  {line}" for line in report))
    print(f"\n{len(_checks())} URLs compared, {compared} fields, {differing} differences")


if __name__ == "__main__":
    main()
