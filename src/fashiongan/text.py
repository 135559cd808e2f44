"""Text for people: names from the file system made safe to print on one line."""

from __future__ import annotations


def printable(text: object) -> str:
    """``text`` with control characters escaped (a newline as \\n, ESC as \\x1b, ...).

    File and folder names may hold newlines or terminal escape codes; printed raw they split a
    report's lines or change the terminal. Other characters, accented letters included, stay as they are.
    """
    text = str(text)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)
