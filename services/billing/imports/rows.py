"""One data row of a billing CSV and the rules its cells follow: text, numbers, dates, periods, account numbers.
A reader records what is wrong with a cell in the operator's words and returns a stand-in, so a row reports all its
problems at once."""

from __future__ import annotations

import re
from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from services.billing.periods import is_period
from services.texts import t

# [0-9], not \d: \d also matches other scripts' digits, which Decimal and date would quietly accept
_DATE = re.compile(r'[0-9]{4}-[0-9]{2}-[0-9]{2}')
_NUMBER = re.compile(r'-?([0-9]+)(?:\.([0-9]+))?')
#: a dot inside the domain; the domain's first dot-free run is spelled out so no two quantifiers compete for a dot
#: (`[^@\s]+\.[^@\s]+` tried every dot against the rest: the square of the length)
EMAIL = re.compile(r'[^@\s]+@[^@\s][^@\s.]*\.[^@\s]+')
#: digits first, then digits, capital Latin letters, hyphens: what billing systems print, and nothing a page, a file
#: name or a command line reads as markup or an option; never a flow-1 login (those start with a letter), and no two
#: numbers that differ only in case (a flow-2 cabinet's login is the number, compared case-insensitively)
ACCOUNT_NUMBER = re.compile(r'[0-9][0-9A-Z-]*')
#: an amount already written the way it is stored (kopecks, no leading zeros, within 12 digits): the common case
STORED_AMOUNT = re.compile(r'-?(?:0|[1-9][0-9]{0,9})\.[0-9]{2}')
KOPECK = Decimal('0.01')


@dataclass(frozen=True)
class _NumberRule:
    places: int
    max_digits: int
    #: what the operator reads when the value is not a number (a catalog key)
    rule: str
    negative: bool = True


_NUMBERS = {
    'amount': _NumberRule(2, 12, 'import.row.amount'),
    'kwh': _NumberRule(3, 12, 'import.row.kwh'),
    'tariff': _NumberRule(4, 10, 'import.row.tariff'),
    'price': _NumberRule(4, 10, 'import.row.tariff', negative=False),
    'band_price': _NumberRule(4, 10, 'import.row.tariff', negative=False),
    'band_kwh': _NumberRule(3, 12, 'import.row.kwh', negative=False),
}
#: a date column → what the operator reads when the value is not a date (a catalog key); the rest: import.row.date
_DATES = {'due_date': 'import.row.due_date'}
#: how billing systems write yes and no
_FLAGS = {'true': True, '1': True, 'да': True, 'false': False, '0': False, 'нет': False, '': False}
_INTEGER = re.compile(r'[0-9]+')


def register_rule(digits: int, decimals: int) -> _NumberRule:
    """A meter's register: `digits` before the point, at most `decimals` after it, never negative."""
    return _NumberRule(decimals, digits + decimals, 'import.row.reading', negative=False)


class Row:
    """One data row; each reader records what is wrong, so a row reports all its problems at once."""

    def __init__(self, values: dict[str, str], line: int) -> None:
        self.values = values
        self.line = line
        self.errors: list[str] = []

    def text(self, column: str, max_length: int | None = None, required: bool = True) -> str:
        value = self.values.get(column, '').strip()
        if required and not value:
            self.errors.append(t('import.row.required', column=column))
        elif max_length and len(value) > max_length:
            self.errors.append(t('import.row.too_long', column=column, length=max_length))
        return value

    def account_number(self, column: str) -> str:
        value = self.text(column, 32)
        if value and not ACCOUNT_NUMBER.fullmatch(value):
            self.errors.append(t('import.row.account_number', number=value))
        return value

    def decimal(self, column: str, rule: _NumberRule | None = None, required: bool = True) -> Decimal:
        rule = rule or _NUMBERS[column]
        value = self.text(column, required=required)
        if not value:
            return Decimal(0)
        match = _NUMBER.fullmatch(value)
        if not match:
            self.errors.append(t(rule.rule, column=column, value=value))
        elif not rule.negative and value.startswith('-'):
            self.errors.append(t('import.row.negative', column=column, value=value))
        elif len(match[2] or '') > rule.places:
            self.errors.append(t('import.row.places', column=column, places=rule.places, value=value))
        elif len(match[1].lstrip('0')) > rule.max_digits - rule.places:
            self.errors.append(t('import.row.too_big', column=column, value=value))
        else:
            return Decimal(value)
        return Decimal(0)

    def date(self, column: str) -> date:
        value = self.text(column)
        # fromisoformat alone also takes 20260315 and week dates; the contract is YYYY-MM-DD
        if _DATE.fullmatch(value):
            with suppress(ValueError):
                return date.fromisoformat(value)
        if value:
            self.errors.append(t(_DATES.get(column, 'import.row.date'), column=column, value=value))
        return date.min

    def optional_date(self, column: str) -> date | None:
        return self.date(column) if self.values.get(column, '').strip() else None

    def integer(self, column: str, low: int, high: int, default: int | None = None) -> int:
        """A whole number from `low` to `high`; an empty cell is `default` (or an error without one)."""
        value = self.text(column, required=default is None)
        if not value and default is not None:
            return default
        if value and (not _INTEGER.fullmatch(value) or not low <= int(value) <= high):
            self.errors.append(t('import.row.integer', column=column, low=low, high=high, value=value))
            return low
        return int(value) if value else low

    def flag(self, column: str) -> bool:
        value = self.text(column, required=False)
        if value.lower() not in _FLAGS:
            self.errors.append(t('import.row.flag', column=column, value=value))
        return _FLAGS.get(value.lower(), False)

    def filled_together(self, columns: tuple[str, ...]) -> bool:
        """Whether the row fills these columns, which come all or none (an error when only some)."""
        given = [bool(self.values.get(column, '').strip()) for column in columns]
        if any(given) and not all(given):
            self.errors.append(t('import.row.paired', columns=', '.join(columns)))
        return all(given)

    def choice(self, column: str, choices: tuple[str, ...]) -> str:
        value = self.text(column)
        if value and value not in choices:
            self.errors.append(t('import.row.choice', column=column, choices=', '.join(choices), value=value))
        return value

    def period(self, column: str) -> str:
        value = self.text(column)
        if value and not is_period(value):
            self.errors.append(t('import.row.period', value=value))
        return value

    def account_id(self, accounts: dict[str, int]) -> int:
        """The id of the account the `account` column names (0 when there is none: the row has an error then)."""
        number = self.text('account', 32)
        if number and number not in accounts:
            self.errors.append(t('import.row.unknown_account', number=number))
        return accounts.get(number, 0)
