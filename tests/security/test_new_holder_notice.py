"""Issue 11, item 18: the first entry by account number + surname (both printed on every bill) activated a cabinet
with no word to the cabinets already holding the account. Every cabinet holding it now gets an email, in its own
language, when another cabinet gets the account: by the first entry (SMS or emailed link) or by a linking proof."""

from __future__ import annotations

from datetime import timedelta

from models.billing import Account
from models.security import AuditEvent
from services import clock
from services.accounts import linking
from services.identity import registration
from services.identity.registration import BY_SMS
from tests.support.delivery import deliver
from tests.support.factories import PHONE, add_payment, link_accounts, make_account, make_cabinet, registration_form
from tests.support.servers import Mailbox

NUMBER = '100200300'
RUSSIAN = 'Ещё один кабинет получил доступ к вашему лицевому счёту'
ENGLISH = 'Another profile now has access to your personal account'


async def holders() -> None:
    """Three cabinets that linked the account earlier: Russian, English, and one whose email nobody confirmed."""
    await make_account(NUMBER)
    await link_accounts(await make_cabinet('ivanov'), NUMBER)
    await link_accounts(await make_cabinet('smith', language='en', phone='+79001110000'), NUMBER)
    await link_accounts(await make_cabinet('typo', email_confirmed=False, phone=None), NUMBER)


def notices(mailbox: Mailbox) -> dict[str, str]:
    return {m['To']: m['Subject'] for m in mailbox.messages if m['Subject'] in (RUSSIAN, ENGLISH)}


def assert_told(mailbox: Mailbox) -> None:
    assert notices(mailbox) == {'ivanov@example.ru': RUSSIAN, 'smith@example.ru': ENGLISH}
    russian = Mailbox.text(mailbox.to('ivanov@example.ru')[-1])
    assert NUMBER in russian and 'контактный центр' in russian
    english = Mailbox.text(mailbox.to('smith@example.ru')[-1])
    assert NUMBER in english and 'customer service centre' in english


async def test_a_first_entry_by_sms_tells_every_holder_in_its_language(db, mailbox, sms):
    await holders()
    request = await registration.send_registration_code(PHONE, ip=None)
    await deliver()
    await registration.confirm_registration_code(request, sms.code(PHONE))
    form = registration_form(surname='Семёнов', email='new@example.ru', confirm_by=BY_SMS, phone_request=request)
    form.phone = PHONE
    outcome = await registration.register_by_account(NUMBER, form, ip='10.0.0.7')
    assert outcome.active
    await deliver()

    assert_told(mailbox)
    told = await AuditEvent.get(event='new_holder_notice')
    assert (told.cabinet_id, told.detail) == (outcome.cabinet.id, {'account': NUMBER, 'via': 'first_entry', 'told': 2})


async def test_a_first_entry_by_email_tells_them_when_its_link_activates_it(db, mailbox):
    await holders()
    await registration.register_by_account(
        NUMBER, registration_form(surname='семенов', email='new@example.ru'), ip=None
    )
    await deliver()
    assert notices(mailbox) == {}  # pending: nobody holds anything yet
    confirmation = mailbox.wait_for('new@example.ru')[0]
    assert await registration.confirm_email(Mailbox.token(confirmation), ip=None)
    await deliver()
    assert_told(mailbox)


async def test_linking_by_proof_tells_the_holders_too(db, mailbox):
    await holders()
    await add_payment(await Account.get(number=NUMBER), clock.today() - timedelta(days=20), '1234.56')
    newcomer = await make_cabinet('petrov')
    await linking.link_account(newcomer, NUMBER, '1234.56', ip=None)
    await deliver()
    assert_told(mailbox)
    assert 'petrov@example.ru' not in notices(mailbox)
