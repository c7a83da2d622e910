"""The staff's second factor: TOTP secrets (RFC 6238) with the link and QR code an authenticator app scans, the check
of a typed code by the time step it belongs to, and the one-time recovery codes."""

from __future__ import annotations

import base64
import re
import secrets
from datetime import datetime

import pyotp
import segno

from services import config
from services.identity import tokens

#: codes change every 30 s (what every authenticator app assumes)
INTERVAL = 30
#: a code of the step before or after the current one passes too: a phone's clock a little off, a code typed late
WINDOW = 1
#: shown once at enrolment; each opens one login in place of a code from the app
RECOVERY_CODES = 10
_TOTP_CODE = re.compile(r'\d{6}')
_SECRET = re.compile(r'[A-Z2-7]{32}')
#: what people type between the digits or groups of a code
_SEPARATORS = re.compile(r'[\s-]')


def new_secret() -> str:
    """160 random bits in base32, as RFC 4226 recommends and every app takes."""
    return pyotp.random_base32()


def valid_secret(secret: object) -> bool:
    return isinstance(secret, str) and _SECRET.fullmatch(secret) is not None


def provisioning_uri(secret: str, login: str) -> str:
    """The `otpauth://` link the QR code holds: the app shows the portal's brand name and the staff login."""
    return pyotp.TOTP(secret, interval=INTERVAL).provisioning_uri(name=login, issuer_name=config.settings.brand_name)


def qr_code(uri: str) -> str:
    """The QR code of `uri` as an SVG `data:` URI for an <img>: drawn as vector paths, no imaging library."""
    return segno.make(uri, error='m').svg_data_uri(scale=5, border=4)


def grouped(secret: str) -> str:
    """The secret in groups of four, as it is typed into an app by hand."""
    return ' '.join(secret[index : index + 4] for index in range(0, len(secret), 4))


def compact(code: str) -> str:
    """A typed code without the spaces and dashes around its groups."""
    return _SEPARATORS.sub('', code)


def is_app_code(code: str) -> bool:
    """Six digits: a code from the app (a recovery code is longer and has letters)."""
    return _TOTP_CODE.fullmatch(compact(code)) is not None


def matching_step(secret: str, code: str, at: datetime) -> int | None:
    """The time step (Unix time / 30 s) whose code `code` is, within `WINDOW` steps of `at`; None when it is none of
    them. The step, not a yes or no: a login refuses a code of a step already used (a replay)."""
    if not is_app_code(code):
        return None
    totp, now = pyotp.TOTP(secret, interval=INTERVAL), int(at.timestamp()) // INTERVAL
    for step in range(now - WINDOW, now + WINDOW + 1):
        if totp.verify(compact(code), for_time=step * INTERVAL):
            return step
    return None


def new_recovery_codes() -> list[str]:
    """`RECOVERY_CODES` codes of 80 random bits each, as `abcd-efgh-ijkl-mnop`: enough that their unsalted SHA-256
    in the database cannot be searched back to them."""
    codes = [base64.b32encode(secrets.token_bytes(10)).decode().lower() for _ in range(RECOVERY_CODES)]
    return ['-'.join(code[index : index + 4] for index in range(0, 16, 4)) for code in codes]


def recovery_digest(code: str) -> str:
    """What is stored of a recovery code, and what a typed one is looked up by: dashes, spaces and case do not count."""
    return tokens.digest(compact(code).lower())
