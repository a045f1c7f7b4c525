"""Text that XML 1.0 can hold: characters it forbids (most control characters, lone
surrogates, U+FFFE/U+FFFF) become U+FFFD. Markup characters are left to the XML writer,
which escapes them."""

from __future__ import annotations

import re

_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: object) -> str:
    """`value` as text that any XML parser reads back unchanged (bar forbidden characters)."""
    return _FORBIDDEN.sub("\ufffd", str(value))
