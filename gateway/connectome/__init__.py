"""Connectome data files: the FlyWire Codex download layout, a synthetic generator of it, and
the bulk import that turns one set of files into a new materialization."""
