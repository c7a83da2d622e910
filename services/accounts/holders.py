"""The cabinets already holding a personal account, told by email when another cabinet gets it: by the first entry
(account number + surname, both printed on every bill) or by a linking proof (docs/product.md, flows 2 and 4)."""

from __future__ import annotations

from models.billing import Account
from models.cabinet import Cabinet, CabinetState
from services import clock
from services.identity import audit
from services.messaging.notices import send_notice
from services.texts import format_datetime, in_language


async def tell_holders(account: Account, newcomer: Cabinet, *, via: str) -> int:
    """A notice to every other active cabinet holding `account`, at its confirmed email and in its own language (the
    newcomer is someone else, in whatever language it uses); how many were told."""
    holders = await (
        Cabinet.filter(links__account_id=account.id, state=CabinetState.ACTIVE, email_confirmed_at__isnull=False)
        .exclude(id=newcomer.id)
        .values_list('id', 'email', 'language')
    )
    when = clock.local(clock.now()).replace(second=0, microsecond=0)
    for _, email, language in sorted(holders, key=lambda holder: holder[1]):
        with in_language(language):
            await send_notice(email, 'new_holder', number=account.number, when=format_datetime(when))
    if holders:
        await audit.record(
            'new_holder_notice',
            cabinet_id=newcomer.id,
            account=account.number,
            via=via,
            told=len(holders),
        )
    return len(holders)
