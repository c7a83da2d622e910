"""SMS gateway: console (demo), a JSON webhook, and the SMS.RU and SMSC.ru HTTP APIs.

PORTAL_SMS_URL is each provider's base URL (tests point it at a loopback server):
- webhook: POST JSON {"phone": "+7…", "text": "…"} to PORTAL_SMS_URL itself; any 2xx answer means sent.
- smsru: POST {base}/sms/send with api_id (PORTAL_SMS_API_KEY), to, msg, json=1 and `from` (PORTAL_SMS_SENDER,
  optional); base https://sms.ru.
- smsc: POST {base}/sys/send.php with login (PORTAL_SMS_LOGIN), psw (PORTAL_SMS_API_KEY), phones, mes, fmt=3,
  charset=utf-8 and sender (optional); base https://smsc.ru. POST keeps the password out of URLs and logs.
"""

from __future__ import annotations

import logging
import re
from typing import Any, NoReturn

import httpx

from services import config
from services.messaging.gateways import Gateway, PermanentDeliveryError, TemporaryDeliveryError

log = logging.getLogger(__name__)

TIMEOUT = httpx.Timeout(15.0, connect=5.0)
#: HTTP answers that say "later", not "never"
RETRY_STATUSES = frozenset({408, 425, 429})

#: SMS.RU codes about this number or this text; the others (bad api_id, no money, service down, sender not
#: approved…) are our account's or the service's state, which the operator can fix while the message waits
SMSRU_PERMANENT = frozenset({202, 203, 205, 207, 209, 212, 213, 214, 216, 230, 231, 232, 233})
#: SMSC codes: 1 bad parameters, 5 bad date, 6 message forbidden, 7 bad number, 8 cannot be delivered,
#: 9 the same request twice within a minute (our earlier attempt most likely went through: no third copy)
SMSC_PERMANENT = frozenset({1, 5, 6, 7, 8, 9})


class SmsGateway(Gateway):
    """Sends one text to one E.164 number."""

    name = 'sms'

    async def send(self, phone: str, text: str) -> None:
        raise NotImplementedError


class ConsoleSms(SmsGateway):
    """Demo and development: the SMS goes to the log."""

    name = 'console'

    async def send(self, phone: str, text: str) -> None:
        log.info('SMS to %s: %s', phone, text)


class _HttpSms(SmsGateway):
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip('/')
        self._client: httpx.AsyncClient | None = None

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def _post(self, url: str, **kwargs: Any) -> httpx.Response:
        """POST, turning transport failures and non-2xx answers into delivery errors."""
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=TIMEOUT)
        try:
            response = await self._client.post(url, **kwargs)
        except httpx.TimeoutException as error:
            raise TemporaryDeliveryError(f'{self.name}: no answer in time ({type(error).__name__})') from error
        except httpx.HTTPError as error:
            raise TemporaryDeliveryError(f'{self.name}: {type(error).__name__}: {error}') from error
        if response.is_success:
            return response
        detail = f'{self.name}: HTTP {response.status_code}: {response.text[:200]}'
        if response.status_code >= 500 or response.status_code in RETRY_STATUSES:
            raise TemporaryDeliveryError(detail)
        raise PermanentDeliveryError(detail)

    def _json(self, response: httpx.Response) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError as error:
            # e.g. a proxy's HTML error page: the provider may be fine a minute later
            raise TemporaryDeliveryError(f'{self.name}: answer is not JSON: {response.text[:200]}') from error
        if not isinstance(data, dict):
            raise TemporaryDeliveryError(f'{self.name}: unexpected answer: {response.text[:200]}')
        return data

    def _require(self, value: str, variable: str) -> None:
        if not value:
            raise TemporaryDeliveryError(f'{self.name}: {variable} is not set')


class WebhookSms(_HttpSms):
    name = 'webhook'

    async def send(self, phone: str, text: str) -> None:
        self._require(self.base_url, 'PORTAL_SMS_URL')
        await self._post(self.base_url, json={'phone': phone, 'text': text})


class SmsRu(_HttpSms):
    """https://sms.ru/api/send: HTTP 200 with a JSON status for the request and one per number."""

    name = 'smsru'

    def __init__(self, *, api_id: str, sender: str = '', base_url: str = '') -> None:
        super().__init__(base_url or 'https://sms.ru')
        self.api_id = api_id
        self.sender = sender

    async def send(self, phone: str, text: str) -> None:
        self._require(self.api_id, 'PORTAL_SMS_API_KEY')
        to = _digits(phone)
        form = {'api_id': self.api_id, 'to': to, 'msg': text, 'json': '1'}
        if self.sender:
            form['from'] = self.sender
        data = self._json(await self._post(f'{self.base_url}/sms/send', data=form))
        if data.get('status') != 'OK':
            self._fail(data)
        per_number = data.get('sms') or {}
        result = per_number.get(to)
        if result is None and len(per_number) == 1:
            result = next(iter(per_number.values()))
        if result is not None and result.get('status') != 'OK':
            self._fail(result)

    def _fail(self, data: dict[str, Any]) -> NoReturn:
        code = _int(data.get('status_code'))
        detail = f'{self.name}: {code} {data.get("status_text", "")}'.rstrip()
        raise (PermanentDeliveryError if code in SMSRU_PERMANENT else TemporaryDeliveryError)(detail)


class Smsc(_HttpSms):
    """https://smsc.ru/api/http/send/: with fmt=3 the answer is JSON, {"id": …, "cnt": …} or {"error": …}."""

    name = 'smsc'

    def __init__(self, *, login: str, password: str, sender: str = '', base_url: str = '') -> None:
        super().__init__(base_url or 'https://smsc.ru')
        self.login = login
        self.password = password
        self.sender = sender

    async def send(self, phone: str, text: str) -> None:
        self._require(self.login, 'PORTAL_SMS_LOGIN')
        self._require(self.password, 'PORTAL_SMS_API_KEY')
        form = {
            'login': self.login,
            'psw': self.password,
            'phones': _digits(phone),
            'mes': text,
            'fmt': '3',
            'charset': 'utf-8',
        }
        if self.sender:
            form['sender'] = self.sender
        data = self._json(await self._post(f'{self.base_url}/sys/send.php', data=form))
        if 'error' in data:
            code = _int(data.get('error_code'))
            detail = f'{self.name}: {code} {data["error"]}'
            raise (PermanentDeliveryError if code in SMSC_PERMANENT else TemporaryDeliveryError)(detail)


def _digits(phone: str) -> str:
    # both APIs take the international number as digits: +7 900 123-45-67 → 79001234567
    return re.sub(r'\D', '', phone)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def get_sms_gateway() -> SmsGateway:
    """The provider PORTAL_SMS_PROVIDER names."""
    settings = config.settings
    match settings.sms_provider:
        case 'webhook':
            return WebhookSms(settings.sms_url)
        case 'smsru':
            return SmsRu(api_id=settings.sms_api_key, sender=settings.sms_sender, base_url=settings.sms_url)
        case 'smsc':
            return Smsc(
                login=settings.sms_login,
                password=settings.sms_api_key,
                sender=settings.sms_sender,
                base_url=settings.sms_url,
            )
        case _:
            return ConsoleSms()
