"""Import every command module so that it registers its commands on the app."""

from . import curator  # noqa: F401
