"""Import every declaration module so that it registers its commands on the app.

The read commands come first: they are what trainees use, and ``--help`` lists commands in the
order they were registered.
"""

from importlib import import_module

for _module in ("read", "curator", "exports"):
    import_module(f"{__package__}.{_module}")
