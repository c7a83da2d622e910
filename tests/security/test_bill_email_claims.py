"""Issue 11, item 19: the bill email said the bill can be paid in the cabinet; the portal takes no payments (yet). The
email sent through the real SMTP peer, in Russian and in English, claims nothing the cabinet does not do."""

from __future__ import annotations

import re

from services.billing import dispatch
from tests.support.delivery import deliver
from tests.support.factories import PERIOD, make_cabinet, subscriber
from tests.support.servers import Mailbox

#: a sentence that speaks of the cabinet / the portal
ABOUT_THE_CABINET = re.compile(r'[^.!?<>\n]*(?:кабинет|portal)[^.!?<>\n]*', re.IGNORECASE)
PAYING = re.compile(r'оплат|pay(?!ment)', re.IGNORECASE)


async def test_the_bill_email_does_not_promise_payment_in_the_cabinet(db, mailbox):
    await subscriber(await make_cabinet('semenov'), email='ru@example.ru')
    await subscriber(await make_cabinet('smith', language='en'), '461000000002', 'en@example.ru')
    await dispatch.dispatch(PERIOD)
    await deliver()

    for address, shown in (('ru@example.ru', 'посмотреть в личном кабинете'), ('en@example.ru', 'customer portal')):
        [mail] = mailbox.wait_for(address)
        text = Mailbox.text(mail)
        html = mail.get_body(('html',)).get_content()
        for body in (text, html):
            claims = [sentence for sentence in ABOUT_THE_CABINET.findall(body) if PAYING.search(sentence)]
            assert claims == [], f'{address}: {claims}'
        assert shown in text  # what the cabinet does show
