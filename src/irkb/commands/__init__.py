"""The command bodies, free of any CLI framework: plain values in, output on stdout, an exit code
(or an ``IrkbError``) out. ``irkb.cli`` declares the command line and calls these; so does its fast
route for the everyday reads."""
