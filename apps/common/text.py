"""Text that people type and that we hand back to other programs.

`refuse_control_characters` is the validator every single-line text field that reaches the
database carries (portal forms and filters, the API's serializers): PostgreSQL refuses NUL in
text outright (a 500 if it gets that far) and the other control characters mean nothing in a
name or an address. `spreadsheet_cell` neutralises user text written into a CSV (OWASP, CSV
injection).
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# C0 (NUL to US), DEL and C1: the Unicode category Cc.
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f]")
CONTROL_CHARACTERS_MESSAGE = _("Control characters (such as NUL, tab or line breaks) are not allowed here.")
# Spreadsheet programs run a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def has_control_characters(value: str) -> bool:
    return CONTROL_CHARACTERS.search(value) is not None


def refuse_control_characters(value) -> None:
    if isinstance(value, str) and has_control_characters(value):
        raise ValidationError(CONTROL_CHARACTERS_MESSAGE, code="control_characters")


def spreadsheet_cell(value) -> str:
    """User text as a CSV cell no spreadsheet runs: a cell that would start a formula gets a
    leading single quote, whatever follows (`-2+3+cmd|...` is a formula too). For our own
    numeric columns, write the number itself instead."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
