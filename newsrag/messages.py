"""Messages for people: one line each, whatever the file names in them contain."""

from __future__ import annotations

# Control characters shown as escapes, so a file named "a\nb.txt" cannot split a message.
_ESCAPES = {code: f"\\x{code:02x}" for code in [*range(32), 127]} | {10: "\\n", 13: "\\r", 9: "\\t"}


def one_line(text: str) -> str:
    """`text` with control characters escaped (\\n, \\t, \\x1b ...): one line on any terminal.

    Why: error lines name files, and a file name may hold a newline or an escape sequence;
    a message must stay one line that a person (or a log parser) can read.

    >>> one_line("bad\\nname.txt: empty file")
    'bad\\\\nname.txt: empty file'
    """
    return text.translate(_ESCAPES)
