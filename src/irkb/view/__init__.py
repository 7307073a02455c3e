"""Output for machines (``text``: JSON, CSV, YAML, Markdown, plain lines) and people (``rich``:
tables and panels on a terminal). Imported only by the commands: the core never prints."""
