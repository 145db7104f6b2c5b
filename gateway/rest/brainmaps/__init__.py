"""BrainMaps (seed 000): categories, species, brains and file uploads, and the login
endpoints, under ``/api/``, ``/v1/api/`` and ``/v1/``."""
