from . import curator, exports, read  # noqa: F401
