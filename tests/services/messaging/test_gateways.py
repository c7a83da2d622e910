"""The gateways against real peers: the loopback SMTP server and the loopback HTTP server standing in for the
SMS providers, spoken to with each provider's own parameter names and answered the way each provider answers."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from services.messaging.gateways import PermanentDeliveryError, TemporaryDeliveryError
from services.messaging.gateways.mail import ConsoleMailer, SmtpMailer, get_mailer
from services.messaging.gateways.sms import ConsoleSms, Smsc, SmsRu, get_sms_gateway
from services.messaging.mime import Envelope, Letter, build_email
from tests.support.servers import free_port
from tests.support.settings import configure

PHONE = '+79001234567'


def letter(to: str, subject: str = 'Счёт за ноябрь') -> Envelope:
    """A plain text + HTML email, built as the outbox builds it."""
    now = datetime.now(UTC)
    return build_email(
        Letter(
            message_id=1, created_at=now, date=now, sender='portal@portal.test', sender_name='Энергосбыт',
            recipient=to, subject=subject, text='Добрый день!', html='<p>Добрый день!</p>',
        )
    )  # fmt: skip


# ---- mail ------------------------------------------------------------------------------------------------------


async def test_smtp_mailer_delivers_several_messages_in_one_batch(mailbox):
    async with get_mailer() as mailer:
        assert isinstance(mailer, SmtpMailer)
        await mailer.send(letter('a@example.ru'))
        await mailer.send(letter('b@example.ru', 'Пароль изменён'))

    assert [m['Subject'] for m in mailbox.messages] == ['Счёт за ноябрь', 'Пароль изменён']
    assert mailbox.text(mailbox.to('a@example.ru')[0]).strip() == 'Добрый день!'


async def test_smtp_550_is_permanent_and_the_batch_goes_on(mailbox):
    mailbox.rejections['nobody@example.ru'] = '550 5.1.1 no such user'
    async with get_mailer() as mailer:
        with pytest.raises(PermanentDeliveryError, match=re.escape('550 5.1.1 no such user')):
            await mailer.send(letter('nobody@example.ru'))
        await mailer.send(letter('a@example.ru'))

    assert [m['To'] for m in mailbox.messages] == ['a@example.ru']


async def test_smtp_4xx_is_temporary(mailbox):
    mailbox.rejections['busy@example.ru'] = '452 4.2.2 mailbox full'
    async with get_mailer() as mailer:
        with pytest.raises(TemporaryDeliveryError, match=re.escape('452 4.2.2 mailbox full')):
            await mailer.send(letter('busy@example.ru'))


async def test_smtp_server_down_is_temporary_and_the_rest_of_the_batch_fails_fast(monkeypatch, mailbox):
    port = free_port()
    configure(monkeypatch, smtp_port=port)
    async with get_mailer() as mailer:
        with pytest.raises(TemporaryDeliveryError, match=f'127.0.0.1:{port}') as first:
            await mailer.send(letter('a@example.ru'))
        with pytest.raises(TemporaryDeliveryError) as second:
            await mailer.send(letter('b@example.ru'))
    assert str(second.value) == str(first.value)


async def test_an_smtp_mailer_without_a_host_makes_mail_wait():
    # outside demo mode the settings refuse an empty PORTAL_SMTP_HOST (tests/security/test_production_defaults.py)
    mailer = SmtpMailer(host='', port=25)
    with pytest.raises(TemporaryDeliveryError, match='PORTAL_SMTP_HOST is not set'):
        await mailer.send(letter('a@example.ru'))


async def test_demo_mode_without_smtp_host_logs_the_mail(monkeypatch, caplog):
    configure(monkeypatch, smtp_host='', demo='true')
    mailer = get_mailer()
    assert isinstance(mailer, ConsoleMailer)
    with caplog.at_level(logging.INFO, logger='services.messaging.gateways.mail'):
        await mailer.send(letter('a@example.ru'))
    assert 'a@example.ru' in caplog.text
    assert 'Добрый день!' in caplog.text


async def test_demo_mode_with_an_smtp_host_still_uses_it(monkeypatch):
    configure(monkeypatch, demo='true')
    assert isinstance(get_mailer(), SmtpMailer)


# ---- SMS -------------------------------------------------------------------------------------------------------


async def send_sms(phone: str = PHONE, text: str = 'Код: 123456') -> None:
    async with get_sms_gateway() as gateway:
        await gateway.send(phone, text)


async def test_webhook_posts_json(sms):
    await send_sms(text='ТестЭнергоСбыт: код 123456')

    assert sms.requests == [('/sms', {'phone': PHONE, 'text': 'ТестЭнергоСбыт: код 123456'})]


@pytest.mark.parametrize(
    ('status', 'error'),
    [
        (500, TemporaryDeliveryError),
        (503, TemporaryDeliveryError),
        (429, TemporaryDeliveryError),
        (400, PermanentDeliveryError),
        (404, PermanentDeliveryError),
    ],
)
async def test_webhook_http_errors(sms, status, error):
    sms.status = status
    with pytest.raises(error, match=f'HTTP {status}'):
        await send_sms()


async def test_unreachable_gateway_is_temporary(monkeypatch):
    configure(monkeypatch, sms_url=f'http://127.0.0.1:{free_port()}/sms')
    with pytest.raises(TemporaryDeliveryError, match='ConnectError'):
        await send_sms()


async def test_webhook_without_url_waits(monkeypatch):
    configure(monkeypatch, sms_url='')
    with pytest.raises(TemporaryDeliveryError, match='PORTAL_SMS_URL is not set'):
        await send_sms()


def smsru_answer(status: str = 'OK', code: int = 100, text: str = '') -> dict[str, Any]:
    # what SMS.RU answers to sms/send with json=1: a status for the request and one per number
    result = {'status': status, 'status_code': code}
    if status == 'OK':
        result['sms_id'] = '000000-10000000'
    else:
        result['status_text'] = text
    return {'status': 'OK', 'status_code': 100, 'sms': {'79001234567': result}, 'balance': 4122.56}


async def test_smsru_sends_its_parameters(monkeypatch, sms):
    configure(monkeypatch, sms_provider='smsru', sms_url=sms.url, sms_api_key='API-KEY', sms_sender='Energo')
    assert isinstance(get_sms_gateway(), SmsRu)
    sms.reply = smsru_answer()

    await send_sms(text='Код: 123456')

    assert sms.requests == [
        (
            '/sms/sms/send',
            {'api_id': 'API-KEY', 'to': '79001234567', 'msg': 'Код: 123456', 'json': '1', 'from': 'Energo'},
        )
    ]


@pytest.mark.parametrize(
    ('answer', 'error', 'message'),
    [
        (smsru_answer('ERROR', 207, 'На этот номер нельзя отправлять'), PermanentDeliveryError, '207'),
        (smsru_answer('ERROR', 202, 'Неправильно указан номер'), PermanentDeliveryError, '202'),
        ({'status': 'ERROR', 'status_code': 200, 'status_text': 'Неправильный api_id'}, TemporaryDeliveryError, '200'),
        ({'status': 'ERROR', 'status_code': 201, 'status_text': 'Не хватает средств'}, TemporaryDeliveryError, '201'),
        ({'status': 'ERROR', 'status_code': 220, 'status_text': 'Сервис недоступен'}, TemporaryDeliveryError, '220'),
    ],
)
async def test_smsru_errors(monkeypatch, sms, answer, error, message):
    configure(monkeypatch, sms_provider='smsru', sms_url=sms.url, sms_api_key='API-KEY')
    sms.reply = answer
    with pytest.raises(error, match=message):
        await send_sms()


async def test_smsru_default_base_is_the_real_service(monkeypatch):
    configure(monkeypatch, sms_provider='smsru', sms_url='', sms_api_key='API-KEY')
    assert get_sms_gateway().base_url == 'https://sms.ru'


async def test_smsc_sends_its_parameters(monkeypatch, sms):
    configure(
        monkeypatch,
        sms_provider='smsc',
        sms_url=sms.url,
        sms_login='utility',
        sms_api_key='secret',
        sms_sender='Energo',
    )
    assert isinstance(get_sms_gateway(), Smsc)
    sms.reply = {'id': 1234, 'cnt': 1}

    await send_sms(text='Код: 123456')

    assert sms.requests == [
        (
            '/sms/sys/send.php',
            {
                'login': 'utility',
                'psw': 'secret',
                'phones': '79001234567',
                'mes': 'Код: 123456',
                'fmt': '3',
                'charset': 'utf-8',
                'sender': 'Energo',
            },
        )
    ]


@pytest.mark.parametrize(
    ('answer', 'error'),
    [
        ({'error': 'invalid number', 'error_code': 7}, PermanentDeliveryError),
        ({'error': "couldn't be delivered", 'error_code': 8}, PermanentDeliveryError),
        ({'error': 'no money', 'error_code': 3}, TemporaryDeliveryError),
        ({'error': 'authorise error', 'error_code': 2}, TemporaryDeliveryError),
    ],
)
async def test_smsc_errors(monkeypatch, sms, answer, error):
    configure(monkeypatch, sms_provider='smsc', sms_url=sms.url, sms_login='utility', sms_api_key='secret')
    sms.reply = answer
    with pytest.raises(error, match=answer['error']):
        await send_sms()


async def test_smsc_default_base_is_the_real_service(monkeypatch):
    configure(monkeypatch, sms_provider='smsc', sms_url='', sms_login='utility', sms_api_key='secret')
    assert get_sms_gateway().base_url == 'https://smsc.ru'


async def test_console_sms_logs_phone_and_text(monkeypatch, caplog, sms):
    configure(monkeypatch, sms_provider='console', demo='true')  # refused outside demo mode
    assert isinstance(get_sms_gateway(), ConsoleSms)
    with caplog.at_level(logging.INFO, logger='services.messaging.gateways.sms'):
        await send_sms(text='Код: 123456')
    assert f'SMS to {PHONE}: Код: 123456' in caplog.text
    assert sms.requests == []
