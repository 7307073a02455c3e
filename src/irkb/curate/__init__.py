"""Curator tooling: the canonical formatter (``fmt``), record templates (``new``) and ``diff``."""
