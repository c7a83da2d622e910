"""Email gateway: SMTP via aiosmtplib; a console mailer for the demo without an SMTP server."""

from __future__ import annotations

import logging
from email import message_from_bytes
from email.policy import default as default_policy
from typing import TYPE_CHECKING, Literal

import aiosmtplib

from services import config
from services.messaging.gateways import DeliveryError, Gateway, PermanentDeliveryError, TemporaryDeliveryError

if TYPE_CHECKING:
    from services.messaging.mime import Envelope

log = logging.getLogger(__name__)


class Mailer(Gateway):
    """Sends built messages (the outbox builds them)."""

    async def send(self, envelope: Envelope) -> None:
        raise NotImplementedError


class ConsoleMailer(Mailer):
    """Demo mode without PORTAL_SMTP_HOST: the mail goes to the log (the demo mailbox page reads the outbox)."""

    async def send(self, envelope: Envelope) -> None:
        message = message_from_bytes(envelope.data, policy=default_policy)
        body = message.get_body(('plain',))
        text = body.get_content() if body is not None else ''
        log.info('demo mail to %s: %s\n%s', message['To'], message['Subject'], text)


class SmtpMailer(Mailer):
    """One SMTP connection, opened on the first message and reused for the following ones."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        tls: Literal['none', 'starttls', 'tls'] = 'none',
        user: str = '',
        password: str = '',
        timeout: float = 30.0,
    ) -> None:
        self.host = host
        self.port = port
        self.tls = tls
        self.user = user
        self.password = password
        self.timeout = timeout
        self._smtp: aiosmtplib.SMTP | None = None
        #: why connecting failed: the rest of the batch fails fast instead of waiting for a timeout each
        self._unreachable: str | None = None

    async def send(self, envelope: Envelope) -> None:
        if self._unreachable:
            raise TemporaryDeliveryError(self._unreachable)
        smtp = await self._connection()
        try:
            await smtp.sendmail(envelope.sender, envelope.recipients, envelope.data)
        except Exception as error:
            # after a failure the session's state is unknown: the next message starts a fresh one
            await self.close()
            raise _classify(error) from error

    async def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None or not smtp.is_connected:
            return
        try:
            await smtp.quit()
        except (aiosmtplib.SMTPException, OSError):
            smtp.close()

    async def _connection(self) -> aiosmtplib.SMTP:
        if self._smtp is not None and self._smtp.is_connected:
            return self._smtp
        if not self.host:
            self._unreachable = 'PORTAL_SMTP_HOST is not set: no mail can be sent'
            raise TemporaryDeliveryError(self._unreachable)
        smtp = aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            username=self.user or None,
            password=self.password or None,
            use_tls=self.tls == 'tls',
            # aiosmtplib upgrades whenever the server offers STARTTLS unless told False
            start_tls=self.tls == 'starttls',
            timeout=self.timeout,
        )
        try:
            await smtp.connect()
        except Exception as error:
            # connecting and logging in depend on the server and our settings, never on the message: retry later
            self._unreachable = f'SMTP {self.host}:{self.port} ({self.tls}): {_describe(error)}'
            smtp.close()
            raise TemporaryDeliveryError(self._unreachable) from error
        self._smtp = smtp
        return smtp


def _describe(error: Exception) -> str:
    return f'{type(error).__name__}: {error}'


def _classify(error: Exception) -> DeliveryError:
    """An SMTP 5xx reply about this message is final; 4xx, timeouts and lost connections are worth a retry."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        replies = '; '.join(f'{refused.code} {refused.message}' for refused in error.recipients)
        if all(refused.code >= 500 for refused in error.recipients):
            return PermanentDeliveryError(f'recipient refused: {replies}')
        return TemporaryDeliveryError(f'recipient deferred: {replies}')
    if isinstance(error, aiosmtplib.SMTPResponseException):
        reply = f'{error.code} {error.message}'
        if error.code >= 500:
            return PermanentDeliveryError(f'SMTP refused the message: {reply}')
        return TemporaryDeliveryError(f'SMTP deferred the message: {reply}')
    if isinstance(error, aiosmtplib.SMTPNotSupported | ValueError):
        # e.g. an address aiosmtplib cannot parse, or a non-ASCII address the server cannot take (no SMTPUTF8)
        return PermanentDeliveryError(f'message cannot be sent: {_describe(error)}')
    return TemporaryDeliveryError(f'SMTP: {_describe(error)}')


def get_mailer() -> Mailer:
    """The mailer the settings ask for: the console only in demo mode without an SMTP host."""
    settings = config.settings
    if settings.demo and not settings.smtp_host:
        return ConsoleMailer()
    return SmtpMailer(
        host=settings.smtp_host,
        port=settings.smtp_port,
        tls=settings.smtp_tls,
        user=settings.smtp_user,
        password=settings.smtp_password,
        timeout=settings.smtp_timeout,
    )
