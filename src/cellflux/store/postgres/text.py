"""Text PostgreSQL cannot hold, made storable and read back exactly.

PostgreSQL's ``text`` refuses the NUL character, which a metric key or a run
name may contain (SQLite keeps it). Such text is stored marked with U+FDD0, a
noncharacter, with NUL and backslash escaped; text that starts with the
mark is marked too, so every string reads back as it was written. A value
given to a query (a name to look for) goes through the same function, so it
matches what was stored.

>>> decode(encode("a\\x00b")) == "a\\x00b", encode("plain")
(True, 'plain')
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

MARK = "\ufdd0"


def encode(text: str) -> str:
    if "\x00" not in text and not text.startswith(MARK):
        return text
    return MARK + text.replace("\\", "\\\\").replace("\x00", "\\0")


def decode(text: str) -> str:
    if not text.startswith(MARK):
        return text
    out, chars, i = [], text[1:], 0
    while i < len(chars):
        c = chars[i]
        if c == "\\" and i + 1 < len(chars):
            out.append("\x00" if chars[i + 1] == "0" else chars[i + 1])
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def encode_row(row: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(encode(v) if isinstance(v, str) else v for v in row)


def decode_row(row: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(decode(v) if isinstance(v, str) else v for v in row)
