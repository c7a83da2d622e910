"""The longest value each text field takes (docs/product.md, Limits), and `shorten` for what goes into logs and audit.

Every service a form calls checks its fields FIRST (`check_text`), before any regex, hash or query, so no input costs
more than the length it is allowed: a 1 MB field is refused in microseconds with «Слишком длинное значение» at that
field. The limits follow the database columns and the standards (RFC 5321 for email addresses, E.164 for phones),
with room for the spaces and separators people type around a value. A value holding a character no database stores
is refused there too, so the same text gets the same answer on SQLite and PostgreSQL instead of a database error.
"""

from __future__ import annotations

import logging
import re

from services.errors import InvalidInput
from services.texts import t

log = logging.getLogger(__name__)

#: a flow-1 login (32 by its format) or an account number; the cabinet's login column holds 64
LOGIN = 64
#: RFC 5321: a forward path holds at most 256 octets, 254 of them the address
EMAIL = 254
#: E.164 has at most 15 digits; room for «+7 (900) 123-45-67» and the like
PHONE = 32
#: the billing import's account numbers have at most 32 characters
ACCOUNT = 32
#: the billing import's surnames have at most 200 characters
SURNAME = 200
#: a payment sum or the address on the bill
PROOF = 300
#: above every profile's own maximum (64, `volga` 20): the policy says those; this bounds what is hashed or verified
PASSWORD = 128
#: SMS codes have 6 digits
CODE = 16
#: emailed links carry 43 characters of token
TOKEN = 128
#: a register's value: 12 integer and 4 fractional digits (the reading columns), with room for spaces around them
READING = 32
#: a meter's serial as billing has it (the meter column)
SERIAL = 64

#: NUL (PostgreSQL stores it in no text or JSON column) and lone surrogates (no UTF-8 for them, yet the websocket's
#: JSON carries them): in any field a customer types, they would reach a query and fail there
_UNSTORABLE = re.compile('[\x00\ud800-\udfff]')

#: how much of a customer's value a log line or an audit row keeps
SHOWN = 100


def shorten(value: object, limit: int = SHOWN) -> str:
    """`value` as text of at most `limit` characters: the head, an ellipsis and the full length when cut."""
    text = value if isinstance(value, str) else str(value)
    if len(text) <= limit:
        return text
    tail = f'… ({len(text)} characters)'
    return text[: limit - len(tail)] + tail if len(tail) < limit else text[:limit]


def _unfit(value: object, limit: int) -> str | None:
    if value is None or value == '':
        return None
    if not isinstance(value, str):
        # a crafted websocket event can set any JSON value (a number, a list, an object) on a text field
        return t('error.not_text')
    if len(value) > limit:
        return t('error.too_long')
    # searched only within the limit: a refusal costs no more than the length a field is allowed
    return t('error.bad_character') if _UNSTORABLE.search(value) else None


def _size(value: object) -> str:
    return f'{len(value)} characters' if isinstance(value, str) else f'not text: {type(value).__name__}'


def check_text(**fields: tuple[object, int]) -> None:
    """Raise InvalidInput for each `field=(value, limit)` that is not text («Недопустимое значение»), longer than its
    limit («Слишком длинное значение») or holding a character no database stores («Недопустимый символ в значении»),
    all at once; the log names fields and sizes, never values."""
    errors = {field: error for field, (value, limit) in fields.items() if (error := _unfit(value, limit))}
    if errors:
        sizes = ', '.join(f'{field} ({_size(fields[field][0])})' for field in errors)
        log.info('unfit input refused: %s', sizes)
        raise InvalidInput(errors)
