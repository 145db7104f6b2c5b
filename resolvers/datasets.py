"""Datasets: the stored files registered to a session (Alyx's ``/datasets``, DOMAIN.md §1.13).

A dataset is a file upload whose ``session_id`` is set (:data:`ATTACHED`); who sees it is the
file-upload visibility rule (an upload of a session the caller sees, or the caller's own
upload). A session's datasets are its ``datasets`` relation in the entity graph.
"""

from __future__ import annotations

from resolvers.query import Filter

# The condition that makes a file upload a dataset.
ATTACHED = Filter("session_id", "isnull", False)
