"""Untrusted text (metric keys, units, group and execution names) made inert where it goes.

Every user string that the kernel writes into markup goes through :func:`esc`,
and every one it writes on a terminal line through :func:`printable`: nothing
else reaches the output unescaped.
"""

from __future__ import annotations

import html
import re

__all__ = ["esc", "printable"]

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def esc(text: object) -> str:
    """Text as HTML/SVG text or attribute value, also well-formed XML (invalid characters become U+FFFD).

    >>> esc('<img src=x onerror="alert(1)">\\x01')
    '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;\ufffd'
    """
    return html.escape(_XML_INVALID.sub("\ufffd", str(text)), quote=True)


def printable(text: str) -> str:
    """Control characters (newlines, escapes) shown escaped, so a terminal line stays one line.

    >>> printable("loss\\n\\x1b[2J")
    'loss\\\\n\\\\x1b[2J'
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
