"""Global options written after the command (``irkb show tips --color never``): moved before it, so
the command line accepts them anywhere. Shared by the Typer route and the fast route; no imports."""


def hoist(args: list[str], value_options: frozenset[str], flags: frozenset[str]) -> list[str]:
    """``args`` with the group's own options (and their values) that follow the command moved in front of it.

    ``value_options`` take a value (``--data-dir X`` or ``--data-dir=X``); ``flags`` take none. The
    scan stops at ``--``; the command is the first token that is not a global option or its value.
    """
    i = 0
    while i < len(args):  # skip the options already in front of the command
        name = args[i].split("=", 1)[0]
        if name in value_options and "=" not in args[i]:
            i += 2
        elif name in value_options or name in flags:
            i += 1
        else:
            break
    if i >= len(args) or args[i].startswith("-"):
        return args
    front, command, rest = args[:i], args[i], args[i + 1 :]
    moved, kept = [], []
    j = 0
    while j < len(rest):
        token = rest[j]
        if token == "--":
            kept += rest[j:]
            break
        name = token.split("=", 1)[0]
        if name in value_options and "=" not in token and j + 1 < len(rest):
            moved += rest[j : j + 2]
            j += 2
        elif (name in value_options and "=" in token) or (token in flags):
            moved.append(token)
            j += 1
        else:
            kept.append(token)
            j += 1
    return front + moved + [command] + kept
