"""BrainCircuits (seed 004): segment properties."""

from __future__ import annotations

from gateway.http.errors import ErrorFormat
from gateway.http.routing import FamilyRoute


class BrainCircuitsRoute(FamilyRoute):
    errors = ErrorFormat.BRAINCIRCUITS
