"""Run under Python 3.10 by tests/clients/test_one_data.py, with one-api 3.6.1 unchanged: ONE's
registration, download, cache-table and water flows end to end, printed as JSON (what
tests/clients/one_py310.py does for searches and details)."""

import json
import sys
from pathlib import Path

import numpy as np
import requests
from one.api import ONE
from one.registration import RegistrationClient

base_url, username, password, token, work = sys.argv[1:6]
folder = Path(work)


def one_on(cache: str) -> ONE:
    """ONE in remote mode on a cache directory of its own, downloading data URLs from the
    gateway's data route with HTTP basic credentials (ONE sends no token there)."""
    one = ONE(
        mode="remote",
        base_url=base_url,
        username=username,
        password=password,
        silent=True,
        cache_rest=None,
        cache_dir=folder / cache,
    )
    par = one.alyx._par.set("HTTP_DATA_SERVER", f"{base_url}/data")
    one.alyx._par = par.set("HTTP_DATA_SERVER_LOGIN", username).set(
        "HTTP_DATA_SERVER_PWD", password
    )
    return one


one = one_on("rig")
client = RegistrationClient(one)
session_path, eid = client.create_new_session(
    "EJ001",
    session_root=folder / "rig" / "cortexlab" / "Subjects",
    date="2024-04-02",
    projects="open_project",
    task_protocol="ephys",
)
times, clusters = np.linspace(0, 1, 9), np.arange(9, dtype=np.int16)
alf = session_path / "alf"
alf.mkdir()
for name, values in (("spikes.times.npy", times), ("spikes.clusters.npy", clusters)):
    np.save(alf / name, values)
    with (alf / name).open("rb") as file:
        uploaded = requests.post(
            f"{base_url}/api/file-uploads/",
            files={"file": (name, file)},
            headers={"Authorization": f"Token {token}"},
            timeout=30,
        )
    assert uploaded.status_code == 201, uploaded.text
records = client.register_files(sorted(alf.glob("*.npy")))

fresh = one_on("fresh")
session = fresh.get_details(eid, full=True)
loaded = fresh.load_dataset(eid, "spikes.times.npy")
tables = one_on("tables")
tables.load_cache()

alyx = one.alyx
weighed = alyx.rest(
    "weighings",
    "create",
    data={"subject": "EJ001", "weight": 22.5, "date_time": "2024-04-02T08:00:00"},
)
given = alyx.rest(
    "water-administrations", "create", data={"subject": "EJ001", "water_administered": 0.25}
)
requirement = alyx.rest("water-requirement", "read", id="EJ001")
print(
    json.dumps(
        {
            "python": list(sys.version_info[:2]),
            "eid": str(eid),
            "folder": session_path.relative_to(folder / "rig").as_posix(),
            "session": [session["subject"], session["users"], session["start_time"]],
            "registered": sorted(r["name"] for r in records),
            "repositories": sorted({r["file_records"][0]["data_repository"] for r in records}),
            "listed": sorted(fresh.list_datasets(eid)),
            "loaded": bool(np.array_equal(loaded, times)),
            "tables": sorted(p.name for p in (folder / "tables").glob("*.pqt")),
            "local": sorted(str(e) for e in tables.search(subject="EJ001", query_type="local")),
            "weighed": [
                weighed["subject"],
                weighed["weight"],
                weighed["user"],
                weighed["date_time"],
            ],
            "given": [given["water_administered"], given["user"]],
            "requirement": sorted(requirement),
            "anonymous": requests.get(f"{base_url}/sessions", timeout=30).status_code,
        }
    )
)
