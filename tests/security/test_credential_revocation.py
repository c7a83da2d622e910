"""Attack: a link or code issued before a credential event still hands the cabinet over after it.

The review's case: someone who knows the password asks to move the cabinet's email to their address; the owner
resets the password; the old email-change link still worked without any session. Every credential event (reset by
link, reset by SMS code, password change, email change, phone change) must kill every link and code in flight that
grants control over the cabinet, whatever its purpose: each pair is tested."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest

from models.cabinet import Cabinet, Link
from models.ebill import EBill
from models.security import AuditEvent
from services import clock
from services.billing import ebill
from services.errors import AuthenticationFailed
from services.identity import (
    auth,
    codes,
    credentials,
    email_change,
    password_change,
    phone_change,
    recovery,
    registration,
    tokens,
)
from tests.support.delivery import deliver
from tests.support.factories import GOOD, NEW, PHONE, make_account, make_cabinet
from tests.support.servers import Mailbox, SmsInbox, wait_for

OWNER_EMAIL = 'ivanov@example.ru'
ATTACKER_EMAIL = 'attacker@evil.example'
ATTACKER_PHONE = '+79005550000'
OWNER_NEW_EMAIL = 'ivan.new@example.ru'
OWNER_NEW_PHONE = '+79007654321'
THIRD = 'Tretij-Parol-2026'


@dataclass
class World:
    cabinet: Cabinet
    mailbox: Mailbox
    sms: SmsInbox
    #: the cabinet's password now (an event may change it)
    password: str = GOOD


async def mailed_token(world: World, email: str, path: str) -> str:
    """The token of the newest link to `path` mailed to `email`."""
    await deliver()

    def newest() -> str | None:
        links = [Mailbox.link(m) for m in world.mailbox.to(email) if f'{path}?token=' in Mailbox.text(m)]
        return links[-1].split('token=')[1] if links else None

    return wait_for(newest, what=f'a {path} link to {email}')


async def next_code(world: World, phone: str, before: int) -> str:
    """The code of the SMS to `phone` after the `before` ones it had."""
    await deliver()
    world.sms.wait_for(phone, count=before + 1)
    return world.sms.code(phone)


async def session(world: World) -> str:
    """A fresh login (the password just typed): what an email or phone change needs."""
    _, token = await auth.login('ivanov', world.password, ip=None)
    return token


# --- the credential events -----------------------------------------------------------------------------------


async def reset_by_link(world: World) -> None:
    await recovery.request_reset('ivanov', ip=None)
    raw = await mailed_token(world, OWNER_EMAIL, '/reset')
    await recovery.reset_by_link(raw, NEW, NEW, ip=None)
    world.password = NEW


async def reset_by_code(world: World) -> None:
    before = len(world.sms.to(PHONE))
    request = await recovery.request_reset('ivanov', ip=None)
    await recovery.reset_by_code(request, await next_code(world, PHONE, before), NEW, NEW, ip=None)
    world.password = NEW


async def change_password(world: World) -> None:
    token = await session(world)
    await password_change.change_password(world.cabinet, token, world.password, NEW, NEW, ip=None)
    world.password = NEW


async def change_email(world: World) -> None:
    await email_change.request_email_change(world.cabinet, await session(world), OWNER_NEW_EMAIL, ip=None)
    raw = await mailed_token(world, OWNER_NEW_EMAIL, '/email-change')
    assert await email_change.confirm_email_change(raw, ip=None) is not None


async def change_phone(world: World) -> None:
    token = await session(world)
    before = len(world.sms.to(OWNER_NEW_PHONE))
    request = await phone_change.send_phone_code(world.cabinet, token, OWNER_NEW_PHONE, ip=None)
    await phone_change.change_phone(
        world.cabinet, token, request, await next_code(world, OWNER_NEW_PHONE, before), ip=None
    )


EVENTS = [reset_by_link, reset_by_code, change_password, change_email, change_phone]


# --- the grants in flight: each issued before the event, then used after it ---------------------------------

#: issue a grant → a function that tries to use it and says whether it still worked
Use = Callable[[World], Awaitable[bool]]


async def reset_link(world: World) -> Use:
    raw = await tokens.issue(tokens.RESET_PASSWORD, world.cabinet.id, OWNER_EMAIL)

    async def use(world: World) -> bool:
        try:
            await recovery.reset_by_link(raw, THIRD, THIRD, ip=None)
        except AuthenticationFailed:
            return False
        return True

    return use


async def email_change_link(world: World) -> Use:
    raw = await tokens.issue(tokens.CHANGE_EMAIL, world.cabinet.id, ATTACKER_EMAIL)

    async def use(world: World) -> bool:
        return await email_change.confirm_email_change(raw, ip=None) is not None

    return use


async def registration_link(world: World) -> Use:
    # registration mails one to every new cabinet (an SMS registration too): it confirms the address it went to
    raw = await tokens.issue(tokens.CONFIRM_EMAIL, world.cabinet.id, OWNER_EMAIL)

    async def use(world: World) -> bool:
        return await registration.confirm_email(raw, ip=None) is not None

    return use


async def reset_code(world: World) -> Use:
    before = len(world.sms.to(PHONE))
    request = await codes.send_code(
        recovery.CODE_PURPOSE, PHONE, ip=None, cabinet_id=world.cabinet.id, sms_text_key='sms.reset_code'
    )
    code = await next_code(world, PHONE, before)

    async def use(world: World) -> bool:
        try:
            await recovery.reset_by_code(request, code, THIRD, THIRD, ip=None)
        except AuthenticationFailed:
            return False
        return True

    return use


async def phone_change_code(world: World) -> Use:
    request: uuid.UUID = await codes.send_code(
        phone_change.CODE_PURPOSE, ATTACKER_PHONE, ip=None, cabinet_id=world.cabinet.id, sms_text_key='sms.phone_code'
    )
    code = await next_code(world, ATTACKER_PHONE, 0)

    async def use(world: World) -> bool:
        try:
            await phone_change.change_phone(world.cabinet, await session(world), request, code, ip=None)
        except AuthenticationFailed:
            return False
        return True

    return use


async def ebill_link(world: World) -> Use:
    # whoever knew the password turned the e-bill on with their own address: its link would send them every bill
    account = await make_account()
    await Link.create(cabinet=world.cabinet, account=account, proof='payment', linked_at=clock.now())
    await EBill.create(
        account=account, cabinet=world.cabinet, email=ATTACKER_EMAIL, enabled=True, updated_at=clock.now()
    )
    raw = await tokens.issue(tokens.CONFIRM_EBILL, world.cabinet.id, ATTACKER_EMAIL)

    async def use(world: World) -> bool:
        return await ebill.confirm_ebill(raw, ip=None) is not None

    return use


GRANTS = [reset_link, email_change_link, registration_link, reset_code, phone_change_code, ebill_link]


@pytest.mark.parametrize('grant', GRANTS)
@pytest.mark.parametrize('event', EVENTS)
async def test_a_credential_event_kills_every_grant_issued_before_it(db, mailbox, sms, event, grant):
    cabinet = await make_cabinet('ivanov', password=GOOD)
    world = World(cabinet, mailbox, sms)
    use = await grant(world)
    await event(world)
    await cabinet.refresh_from_db()
    state = (cabinet.password_hash, cabinet.email, cabinet.phone)
    assert not await use(world), f'{grant.__name__} still works after {event.__name__}'
    await cabinet.refresh_from_db()
    assert (cabinet.password_hash, cabinet.email, cabinet.phone) == state


@pytest.mark.parametrize('reset', [reset_by_link, reset_by_code])
async def test_the_reviews_takeover_an_email_change_link_after_the_owners_reset(db, mailbox, sms, reset):
    cabinet = await make_cabinet('ivanov', password=GOOD)
    world = World(cabinet, mailbox, sms)
    # the attacker knows the password: logs in and asks to move the cabinet's email to their address
    _, attacker = await auth.login('ivanov', GOOD, ip='203.0.113.9')
    await email_change.request_email_change(cabinet, attacker, ATTACKER_EMAIL, ip='203.0.113.9')
    stolen = await mailed_token(world, ATTACKER_EMAIL, '/email-change')
    # the owner resets the password, which ends every session, the attacker's too
    await reset(world)
    # the old link, opened without any session, must not move the email
    assert await email_change.confirm_email_change(stolen, ip='203.0.113.9') is None
    await cabinet.refresh_from_db()
    assert cabinet.email == OWNER_EMAIL
    # so the next reset link still goes to the owner
    mailbox.clear()
    await recovery.request_reset('ivanov', ip='203.0.113.9')
    await mailed_token(world, OWNER_EMAIL, '/reset')
    assert not mailbox.to(ATTACKER_EMAIL)
    assert await AuditEvent.exists(event='grants_revoked', cabinet_id=cabinet.id)


def test_every_purpose_is_revoked_unless_it_grants_nothing():
    """A new link or code purpose is revoked by default: none is spared."""
    assert set(credentials.REVOKED_LINKS) == set(tokens.TTL)
    assert set(credentials.REVOKED_CODES) == set(codes.PURPOSES)
    assert {recovery.CODE_PURPOSE, phone_change.CODE_PURPOSE, registration.CODE_PURPOSE} == set(codes.PURPOSES)
