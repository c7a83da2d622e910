"""What every credential event does to the links and codes in flight: kills every one that grants the cabinet.

A credential event is a password reset (by link or by SMS code), a password change, an email change or a phone
change. Whoever started a reset, an email or phone change or a registration before it (someone who knew the old
password, or held the old mailbox or phone) must not finish it after: one function, called by every event, so a
new event or a new purpose cannot be forgotten. A new link or code purpose is revoked unless it is listed below as
granting nothing.
"""

from __future__ import annotations

from services.identity import audit, codes, tokens

#: link purposes that give no control over the cabinet (none: an e-bill confirmation sets no credential, yet it
#: sends the account's monthly bill, personal data, to the address it proves; one started by whoever held the old
#: password must die with it too)
HARMLESS_LINKS: frozenset[str] = frozenset()
#: code purposes that give no control over the cabinet (none: every code today resets, sets a phone or registers)
HARMLESS_CODES: frozenset[str] = frozenset()

#: registration, reset, email-change and e-bill address links
REVOKED_LINKS = tuple(purpose for purpose in tokens.TTL if purpose not in HARMLESS_LINKS)
#: reset and phone-change codes; a registration code has no cabinet yet, so it never matches one
REVOKED_CODES = tuple(purpose for purpose in codes.PURPOSES if purpose not in HARMLESS_CODES)


async def revoke_all(cabinet_id: int, *, event: str, ip: str | None = None) -> None:
    """Kill every unused link and code that grants control over the cabinet; call it inside the event's transaction,
    after the event has used up its own link or code. `event` names the credential event for the audit log."""
    links = await tokens.revoke(cabinet_id, *REVOKED_LINKS)
    sent = await codes.revoke(cabinet_id, *REVOKED_CODES)
    if links or sent:
        await audit.record('grants_revoked', cabinet_id=cabinet_id, ip=ip, by=event, links=links, codes=sent)
