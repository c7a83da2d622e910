"""What the console's forms send that is no free text, checked before any query: ids and page numbers. A crafted
websocket event may send any JSON value (services/limits.py checks the texts)."""

from __future__ import annotations

import re

from services import limits
from services.errors import InvalidInput
from services.texts import t

#: an IntField's largest value (PostgreSQL's integer)
INT_MAX = 2**31 - 1
#: a BigIntField's (outbox messages, audit events)
BIGINT_MAX = 2**63 - 1
_DIGITS = re.compile('[0-9]{1,19}')


def whole_number(field: str, value: object, maximum: int = INT_MAX) -> int:
    """`value` as a whole number from 1 to `maximum`: an int, or its digits as text (what a form's field holds, spaces
    around allowed); InvalidInput at `field` otherwise."""
    if isinstance(value, str):
        limits.check_text(**{field: (value, 32)})
        value = int(value.strip()) if _DIGITS.fullmatch(value.strip()) else None
    # bool is an int to Python, never a number to a form
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= maximum:
        raise InvalidInput({field: t('staff.ops.bad_number')})
    return value


def optional_number(field: str, value: object, maximum: int = INT_MAX) -> int | None:
    """Like `whole_number`, but None or an empty (or blank) field is None: no filter."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return whole_number(field, value, maximum)
