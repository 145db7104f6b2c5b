"""A log's entries (BrainSTEM's procedure logs), added, changed and removed one at a time as
BrainSTEM's ``add_entry``, ``change_entry`` and ``remove_entry`` do: an entry is named by its
``date_time``; the list is kept newest first. The entries that result are written as any
change of the log is, so their details are checked against the schema of the log's type."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from gateway.errors import BadRequest

ENTRY_ACTIONS = frozenset({"add_entry", "change_entry", "remove_entry"})
_FIELDS = ("date_time", "notes", "details")


def _moment(value: Any) -> datetime:
    if not isinstance(value, str):
        raise BadRequest("This field is required.", field="date_time")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadRequest(
            "Datetime has wrong format. Use YYYY-MM-DDThh:mm[:ss[.uuuuuu]]Z.", field="date_time"
        ) from None
    # Compared in UTC: a time without an offset is one already.
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def edited_entries(
    entries: Sequence[Mapping[str, Any]], action: str, body: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """``entries`` after ``action`` with ``body`` (an entry, or the date_time naming one)."""
    if not isinstance(body, Mapping):
        raise BadRequest("Expected a JSON object.")
    unknown = set(body) - set(_FIELDS)
    if unknown:
        raise BadRequest(f"Unknown field: {sorted(unknown)[0]}.", field=sorted(unknown)[0])
    when = _moment(body.get("date_time"))
    kept = [dict(entry) for entry in entries]
    named = [i for i, entry in enumerate(kept) if _moment(entry.get("date_time")) == when]
    if action == "add_entry":
        if named:
            raise BadRequest("An entry at this date_time exists already.", field="date_time")
        kept.append({"date_time": body["date_time"], "notes": body.get("notes"),
                     "details": body.get("details", {})})  # fmt: skip
    elif not named:
        raise BadRequest("No entry at this date_time.", field="date_time")
    elif action == "change_entry":
        kept[named[0]].update({k: v for k, v in body.items() if k != "date_time"})
    else:
        del kept[named[0]]
    return sorted(kept, key=lambda entry: _moment(entry["date_time"]), reverse=True)
