"""Alyx (seed 003), as ONE uses it: endpoints declared once, their records and writes,
``/auth-token`` and the ``/api/schema`` document."""

from __future__ import annotations

from gateway.http.errors import ErrorFormat
from gateway.http.routing import FamilyRoute


class AlyxRoute(FamilyRoute):
    errors = ErrorFormat.ALYX
