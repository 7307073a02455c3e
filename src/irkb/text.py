"""Text from the data made safe to show: no raw control characters, escape sequences or bidi
overrides reach a terminal, a CI log or a line-oriented format.

Data files are untrusted: a name or note may carry escape sequences (colours, window titles, OSC 52
clipboard writes, OSC 8 links, cursor moves, screen clears), bidi overrides that make a line read
differently from what it says, or a lone carriage return that overwrites a line. Every human-facing
output shows them as visible escapes (``\\x1b``, ``\\u202e``); ``validate`` reports them as
problems in the data; JSON, YAML and SQLite keep the values exactly.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls, bidi embeddings/overrides/isolates and marks,
# line and paragraph separators: none of them is text a reader should receive raw.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_BREAKS = re.compile(r"[\t\n]+")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def safe(text: str) -> str:
    """``text`` with every control, bidi and separator character shown as an escape (newlines and tabs kept)."""
    return UNSAFE.sub(_escape, text) if UNSAFE.search(text) else text


def one_line(text: str) -> str:
    """``safe`` text on one line: newlines and tabs become single spaces (a value never splits a row)."""
    return _BREAKS.sub(" ", safe(text))


def printable(text: str) -> str:
    """``text`` with every character that is not printable escaped, newlines and tabs included
    (``\\n``, ``\\u202e``): for one-line messages such as problems and file names."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#~])")


def md(text: str) -> str:
    """Text safe inside Markdown: HTML and Markdown syntax escaped, kept on one line."""
    escaped = one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")  # html.escape, quote=False
    return _MD_SPECIAL.sub(r"\\\1", escaped)
