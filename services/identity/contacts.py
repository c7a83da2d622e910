"""Normalising what customers type: logins, emails, phones, surnames."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from services import config, limits
from services.errors import InvalidInput
from services.texts import t

_LOGIN = re.compile(r'[^\W\d_][\w.\-]{2,31}')
#: the е of a surname each tried as ё too (2**4 spellings): billing writes «Семёнов» or «Семенов»
_YO_PLACES = 4


def login_key(login: str) -> str:
    return login.strip().casefold()


def login_error(login: str) -> str | None:
    """Flow-1 logins start with a letter, so they never collide with account numbers (digits)."""
    value = login.strip()
    if not value:
        return t('error.required')
    if not _LOGIN.fullmatch(value):
        return t('error.login_format')
    if len(login_key(value)) > limits.LOGIN:
        # casefolding may lengthen a login («ß» → «ss»): its key must fit the column it is looked up in
        return t('error.too_long')
    return None


def normalize_email(raw: str) -> str:
    """The address as we store and compare it; raises ValueError with the user-facing message."""
    value = raw.strip()
    if not value:
        raise ValueError(t('error.required'))
    try:
        # at most 254 octets of UTF-8, so still at most 254 characters lowercased («İ», 2 octets, → «i̇», 2 characters)
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise ValueError(t('error.email_format')) from error


def normalize_phone(raw: str) -> str:
    """E.164 of a number in an allowed country; raises ValueError with the user-facing message.

    A Russian customer often types 8 900 … or 900 …: parse with RU as the default region."""
    value = raw.strip()
    if not value:
        raise ValueError(t('error.required'))
    try:
        number = phonenumbers.parse(value, 'RU')
    except phonenumbers.NumberParseException as error:
        raise ValueError(t('error.phone_format')) from error
    if not phonenumbers.is_valid_number(number):
        raise ValueError(t('error.phone_format'))
    allowed = config.settings.sms_countries
    if number.country_code not in allowed:
        raise ValueError(t('error.phone_country', codes=', '.join(f'+{code}' for code in allowed)))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def fold_text(text: str) -> str:
    """How surnames and addresses are compared: case, ё/е and runs of whitespace (NBSP too) folded;
    punctuation stays significant."""
    return ' '.join(text.casefold().replace('ё', 'е').split())


def surname_spellings(surname: str) -> set[str]:
    """The spellings that `fold_text` makes this surname, to look it up by: SQL compares Cyrillic case-sensitively on
    SQLite, so every spelling billing may have is asked for by name (lower, Capitalised, UPPER, Title-Cased-Double, with
    ё in place of each of the first few е)."""
    folded = fold_text(surname)
    places = [index for index, letter in enumerate(folded) if letter == 'е'][:_YO_PLACES]
    spellings = set()
    for chosen in itertools.chain.from_iterable(itertools.combinations(places, n) for n in range(len(places) + 1)):
        word = ''.join('ё' if index in chosen else letter for index, letter in enumerate(folded))
        spellings |= {word, word.capitalize(), word.upper(), word.title()}
    return spellings


def mask_phone(phone: str) -> str:
    return phone[:-7] + '***' + phone[-4:] if len(phone) > 7 else '***'


def mask_email(email: str) -> str:
    local, _, domain = email.partition('@')
    return f'{local[:1]}***@{domain}'


def mask_within(text: str, contact: str, masked: str) -> str:
    """`text` (a mail server's or SMS gateway's reply: «550 5.1.1 <Ivanov@example.ru>: no such user») with `contact`
    in it, in whatever letter case the server echoed it, replaced by `masked`."""
    if not contact:
        return text
    return re.sub(re.escape(contact), lambda _: masked, text, flags=re.IGNORECASE)


def mask_detail(detail: dict[str, object]) -> dict[str, object]:
    """An audit event's detail with a whole phone or email in it masked (`sms_limit` keeps the phone whole, which
    erasure looks rows up by)."""
    masks: dict[str, Callable[[str], str]] = {'phone': mask_phone, 'email': mask_email}
    return {
        key: masks[key](value) if key in masks and isinstance(value, str) else value for key, value in detail.items()
    }


def normalized(field: str, raw: str, normalize: Callable[[str], str]) -> str:
    """`normalize(raw)`, its refusal turned into the error at `field` of the form."""
    try:
        return normalize(raw)
    except ValueError as error:
        raise InvalidInput({field: str(error)}) from error
