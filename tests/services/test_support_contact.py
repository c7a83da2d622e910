"""The contact centre (PORTAL_SUPPORT_PHONE, PORTAL_SUPPORT_HOURS): refused at start-up when customers could not dial
it, and in the footer of every email once set, through the real SMTP server."""

from __future__ import annotations

import pytest

from services import config
from services.identity import recovery
from services.texts import in_language
from tests.support.delivery import deliver
from tests.support.factories import make_cabinet
from tests.support.servers import Mailbox
from tests.support.settings import configure


def test_no_contact_centre_unless_the_operator_names_one():
    assert config.settings.support_phone == ''
    assert config.settings.support_hours == ''
    assert config.settings.support_tel == ''


@pytest.mark.parametrize(
    ('phone', 'shown', 'dialled'),
    [
        ('8 800 100-00-00', '8 800 100-00-00', 'tel:88001000000'),
        ('  +7 (831)  243-04-14 ', '+7 (831) 243-04-14', 'tel:+78312430414'),
        ('112', None, None),  # too few digits for a contact centre
        ('8 800 CALL-NOW', None, None),
        ('8 800 100-00-00 <b>', None, None),
        ('+7 ' + '9' * 30, None, None),
    ],
)
def test_the_phone_is_taken_as_customers_dial_it(monkeypatch, phone, shown, dialled):
    if shown is None:
        with pytest.raises(ValueError, match='PORTAL_SUPPORT_PHONE'):
            configure(monkeypatch, support_phone=phone)
        return
    settings = configure(monkeypatch, support_phone=phone)
    assert (settings.support_phone, settings.support_tel) == (shown, dialled)


def test_the_hours_are_one_short_line(monkeypatch):
    assert configure(monkeypatch, support_hours=' пн–пт  8:00–20:00 ').support_hours == 'пн–пт 8:00–20:00'
    with pytest.raises(ValueError, match='PORTAL_SUPPORT_HOURS'):
        configure(monkeypatch, support_hours='круглосуточно ' * 10)


@pytest.mark.usefixtures('db')
@pytest.mark.parametrize(
    ('language', 'line'),
    [('ru', 'Контактный центр: 8 800 100-00-00 (пн–пт 8:00–20:00)'), ('en', 'Contact centre: 8 800 100-00-00')],
)
async def test_an_email_names_the_contact_centre_in_both_bodies(monkeypatch, mailbox: Mailbox, language, line):
    configure(monkeypatch, support_phone='8 800 100-00-00', support_hours='пн–пт 8:00–20:00')
    await make_cabinet('ivanov')
    with in_language(language):  # the language the reset was asked for in
        await recovery.request_reset('ivanov', ip=None)
    await deliver()

    [mail] = mailbox.to('ivanov@example.ru')
    assert line in mail.get_body(('plain',)).get_content()
    html = mail.get_body(('html',)).get_content()
    assert '<a href="tel:88001000000"' in html
    assert '>8 800 100-00-00</a> (пн–пт 8:00–20:00)' in html


@pytest.mark.usefixtures('db')
async def test_an_email_has_no_contact_line_while_no_phone_is_set(mailbox: Mailbox):
    await make_cabinet('ivanov')
    await recovery.request_reset('ivanov', ip=None)
    await deliver()

    [mail] = mailbox.to('ivanov@example.ru')
    assert 'Контактный центр' not in mail.get_body(('plain',)).get_content()
    assert 'tel:' not in mail.get_body(('html',)).get_content()
