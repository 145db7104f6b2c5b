"""Run under Python 3.10 by tests/clients/test_one_client.py, with one-api 3.6.1: what a
ONE script does, printed as JSON. Python 3.10's ``datetime.fromisoformat`` refuses a
trailing ``Z``, so this is where Alyx's timestamp format is proven."""

import json
import sys

from one.api import ONE

base_url, username, password, eid = sys.argv[1:5]
one = ONE(
    mode="remote",
    base_url=base_url,
    username=username,
    password=password,
    silent=True,
    cache_rest=None,
)
eids, details = one.search(subject="EJ001", details=True)
full = one.get_details(eid, full=True)
print(
    json.dumps(
        {
            "python": list(sys.version_info[:2]),
            "eids": [str(e) for e in eids],
            "dates": [str(d["date"]) for d in details],
            "start_time": full["start_time"],
            "users": full["users"],
            "datasets": sorted(one.list_datasets(eid)),
        }
    )
)
