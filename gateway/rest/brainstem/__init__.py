"""BrainSTEM (seeds 001, 002): model endpoints under each portal, JWT and personal tokens,
the device login."""

from __future__ import annotations

from gateway.http.errors import ErrorFormat
from gateway.http.routing import FamilyRoute


class BrainstemRoute(FamilyRoute):
    errors = ErrorFormat.DRF
