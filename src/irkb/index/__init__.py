"""The compiled catalog: one SQLite database per knowledge base, refreshed from the data files on
every open, in the relational schema the SQLite export shares (``tables``)."""
