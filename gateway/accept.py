"""Reading an ``Accept`` header: how much a client likes one media type."""

from __future__ import annotations


def quality(accept: str, media: str) -> float:
    """The highest ``q`` the header gives ``media`` by name (0 when it is not named:
    wildcards do not count, so ``*/*`` says nothing about HTML or GraphQL's own type)."""
    best = 0.0
    for part in accept.split(","):
        kind, *params = (p.strip() for p in part.split(";"))
        if kind.lower() != media:
            continue
        q = 1.0
        for key, _, value in (param.partition("=") for param in params):
            if key.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        best = max(best, q)
    return best
