"""Alyx (seed 003), as ONE uses it: endpoints declared once, their records and writes,
``/auth-token`` and the ``/api/schema`` document."""
