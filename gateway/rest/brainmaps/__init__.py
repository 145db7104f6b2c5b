"""BrainMaps (seed 000): categories, species, brains and file uploads, and the login
endpoints, under ``/api/``, ``/v1/api/`` and ``/v1/``."""

from __future__ import annotations

from gateway.http.errors import ErrorFormat
from gateway.http.routing import FamilyRoute


class BrainMapsRoute(FamilyRoute):
    errors = ErrorFormat.BRAINMAPS
