"""Data files in, records and located problems out: bounded reads, safe YAML, positions, checks.

Nothing here raises for bad data, and nothing here knows about the catalog or the command line.
"""
