from . import curator, read  # noqa: F401
