"""The message catalogs: every text the code asks for exists in Russian and in English with the same placeholders, no
Russian literal hides in the code, money and dates follow the language, and mail sent while the customer is away
speaks the language their cabinet stored."""

from __future__ import annotations

import ast
import re
import string
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.pofile import read_po

from models.outbox import OutboxState
from services import texts
from services.billing import bounces, dispatch
from services.messaging import notices
from services.texts import format_date, format_datetime, format_money, in_language, period_label, t
from tests.support.delivery import deliver
from tests.support.factories import EMAIL, NUMBER, PERIOD, PHONE, make_cabinet, subscriber
from tests.support.paths import ROOT
from tests.support.servers import Mailbox

NBSP = '\u00a0'
CYRILLIC = re.compile('[\u0400-\u04ff]')
#: code whose Russian literals are data or an operator's console, not the customer's screens, mail or SMS
RUSSIAN_ALLOWED = {
    'services/billing/demo.py': 'demo billing data: Russian names, streets and services',
    'services/identity/contacts.py': 'folds ё to е when comparing surnames and addresses',
    'services/config.py': "the default utility name, the operator's brand",
    'services/billing/imports/rows.py': 'how billing systems write yes and no (да, нет) in a flag column',
}


def catalog(language: str) -> dict[str, tuple[str, ...]]:
    """Key → its text, or the plural forms of an entry tn reads (msgid_plural, msgstr[n])."""
    texts: dict[str, tuple[str, ...]] = {}
    with (ROOT / 'locale' / language / 'LC_MESSAGES' / 'messages.po').open('rb') as po:
        for message in read_po(po):
            if message.pluralizable:
                texts[message.id[0]] = tuple(message.string)
            elif message.id:
                texts[message.id] = (message.string,)
    return texts


def plural_forms(language: str) -> dict[str, tuple[str, ...]]:
    """Texts with plural forms (msgid_plural, for tn): key → its forms, msgstr[0], msgstr[1], …"""
    with (ROOT / 'locale' / language / 'LC_MESSAGES' / 'messages.po').open('rb') as po:
        return {message.id[0]: tuple(message.string) for message in read_po(po) if message.pluralizable}


def fields(texts: tuple[str, ...]) -> set[tuple[str, ...]]:
    """The placeholders of each text (every plural form must have the same: a form that differs makes two)."""
    return {
        tuple(sorted(name for _, name, _, _ in string.Formatter().parse(text) if name is not None)) for text in texts
    }


def code_files() -> list[Path]:
    return [
        ROOT / 'main.py',
        *sorted((ROOT / 'cli').rglob('*.py')),
        *sorted((ROOT / 'pages').rglob('*.py')),
        *sorted((ROOT / 'services').rglob('*.py')),
    ]


def keys_in_code() -> dict[str, str]:
    """Literal keys passed to t('…') or tn('…') in Python and in the email templates → where."""
    found: dict[str, str] = {}
    for path in code_files():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ('t', 'tn')
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                found[node.args[0].value] = f'{path.relative_to(ROOT)}:{node.lineno}'
    for path in sorted((ROOT / 'services' / 'messaging' / 'templates').rglob('*.*')):
        for key in re.findall(r"""\bt\(\s*['"]([^'"]+)['"]""", path.read_text()):
            found[key] = str(path.relative_to(ROOT))
    # keys the code builds: an email's lines by kind, the outbox status's states
    for kind, lines in notices._LINES.items():
        for part in ['subject', 'title', *(f'line{number}' for number in range(1, lines + 1))]:
            found[f'mail.{kind}.{part}'] = 'services/messaging/notices.py'
    for state in OutboxState:
        found[f'cli.outbox.state.{state}'] = 'cli/outbox.py'
    return found


def test_every_russian_text_has_an_english_one_with_the_same_placeholders():
    russian, english = catalog('ru'), catalog('en')
    assert len(russian) > 250
    assert sorted(english) == sorted(russian)
    untranslated = [key for key in russian if not all(text.strip() for text in english[key])]
    assert untranslated == []
    mismatched = {key: (fields(russian[key]), fields(english[key])) for key in russian}
    assert {key: pair for key, pair in mismatched.items() if pair[0] != pair[1]} == {}
    cyrillic = [key for key, texts in english.items() if any(CYRILLIC.search(text) for text in texts)]
    assert [key for key in cyrillic if key != 'language.name'] == []


def test_plural_forms():
    """Russian has three forms (1 строка, 2 строки, 5 строк), English two; each asks for the same placeholders."""
    russian, english = plural_forms('ru'), plural_forms('en')
    assert sorted(english) == sorted(russian)
    assert {key: len(forms) for key, forms in russian.items() if len(forms) != 3} == {}
    assert {key: len(forms) for key, forms in english.items() if len(forms) != 2} == {}
    # every form asks for the same placeholders
    assert {key: forms for key, forms in (russian | english).items() if len(fields(forms)) != 1} == {}
    with in_language('ru'):
        assert [texts.tn('cli.import.rows', count) for count in (1, 2, 5, 11, 21)] == [
            '1 строка',
            '2 строки',
            '5 строк',
            '11 строк',
            '21 строка',
        ]
    with in_language('en'):
        assert [texts.tn('cli.import.rows', count) for count in (1, 2)] == ['1 row', '2 rows']


def test_every_key_the_code_asks_for_is_in_both_catalogs():
    russian, english = catalog('ru'), catalog('en')
    used = keys_in_code()
    assert len(used) > 200
    assert {key: where for key, where in used.items() if key not in russian or key not in english} == {}


def test_no_russian_literal_outside_the_catalogs():
    """Docstrings and comments may quote the Russian screens; strings the code shows may not."""
    found = []
    for path in code_files():
        name = str(path.relative_to(ROOT))
        if name in RUSSIAN_ALLOWED or name == 'services/texts.py':
            continue
        tree = ast.parse(path.read_text(), name)
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        # patterns that read the customer's input («102 руб.») are no text the code shows
        patterns = {
            id(node.args[0])
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == 'compile'
            and node.args
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings | patterns
                and CYRILLIC.search(node.value)
            ):
                found.append(f'{name}:{node.lineno}: {node.value!r}')
    assert found == []


def test_a_key_missing_from_every_catalog_is_a_bug_and_english_texts_fill_in():
    with pytest.raises(KeyError):
        t('no.such.key')
    assert t('label.login') == 'Логин'
    with in_language('en'):
        assert t('label.login') == 'Login'
        assert t('error.code_wrong', left=2) == 'Wrong code. Attempts left: 2'
    with in_language('de'):  # not offered: Russian
        assert t('label.login') == 'Логин'
    assert texts.current_language() == 'ru'


@pytest.mark.parametrize(
    ('language', 'value', 'text'),
    [
        ('ru', '1234567.5', f'1{NBSP}234{NBSP}567,50{NBSP}₽'),
        ('ru', '-0.004', f'0,00{NBSP}₽'),
        ('en', '1234567.5', '₽1,234,567.50'),
        ('en', '-1234.56', '-₽1,234.56'),
        ('en', '0.005', '₽0.01'),
    ],
)
def test_money_per_language(language, value, text):
    with in_language(language):
        assert format_money(Decimal(value)) == text


def test_dates_and_periods_per_language():
    moment = datetime(2026, 11, 21, 13, 3, tzinfo=ZoneInfo('Europe/Moscow'))
    assert (format_date(date(2026, 10, 5)), period_label('2026-05'), format_datetime(moment)) == (
        '05.10.2026',
        'Май 2026',
        '21.11.2026 13:03',
    )
    with in_language('en'):
        assert (format_date(date(2026, 10, 5)), period_label('2026-05'), format_datetime(moment)) == (
            'Oct 5, 2026',
            'May 2026',
            'Nov 21, 2026 1:03\u202fPM',
        )


@pytest.mark.usefixtures('db')
async def test_the_monthly_bill_reaches_an_english_cabinet_in_english_with_the_russian_bill(mailbox):
    cabinet = await make_cabinet('semenov', language='en')
    await subscriber(cabinet)

    await dispatch.dispatch(PERIOD)  # the server's monthly run: no customer, no browser
    await deliver()

    [mail] = mailbox.to(EMAIL)
    assert mail['Subject'] == f'Bill for October 2026, account {NUMBER}'
    text = Mailbox.text(mail)
    for expected in ['Amount due: ₽1,756.05', 'Pay by: Nov 10, 2026', 'Kind regards,', 'Open the customer portal']:
        assert expected in text
    assert not CYRILLIC.search(text.replace('ТестЭнергоСбыт', ''))
    html = mail.get_body(('html',)).get_content()
    assert '<html lang="en">' in html and 'Kind regards,' in html
    [attachment] = list(mail.iter_attachments())
    assert b'/Title' in attachment.get_content()  # the bill itself is the Russian legal document, as for anyone


@pytest.mark.usefixtures('db')
async def test_bounces_turn_the_ebill_off_with_an_sms_in_the_cabinets_language(sms):
    cabinet = await make_cabinet('semenov', language='en')
    subscription = await subscriber(cabinet)
    for _ in range(bounces.BOUNCES_TO_OFF):
        await bounces.record_bounce(subscription.id, '550 no such user')
    await deliver()

    [text] = sms.to(PHONE)
    assert text.startswith(f'Bills for account {NUMBER} cannot be delivered to ')
    assert 'turned off' in text
