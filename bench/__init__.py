"""Benchmarks and data generators (never part of ``make test``); run them with ``make bench``."""
