"""Operator commands on customer cabinets (`python main.py cabinet show|unlock LOGIN`)."""

from __future__ import annotations

from models.cabinet import Cabinet, CabinetState, Link
from models.security import AuditEvent
from services import audit, auth, ratelimit
from services.contacts import login_key


async def cli_cabinet(action: str, login: str) -> int:
    key = login_key(login)
    cabinet = await Cabinet.get_or_none(login_key=key)
    if action == 'unlock':
        await ratelimit.clear(ratelimit.LOGIN_FAILURES, key)
        if cabinet is not None and cabinet.state == CabinetState.LOCKED:
            cabinet.state = CabinetState.ACTIVE
            await cabinet.save(update_fields=['state'])
        await audit.record('unlock', cabinet_id=cabinet.id if cabinet else None, login=key, by='operator')
        print(f'{login}: попытки входа сброшены')
        return 0
    if cabinet is None:
        print(f'{login}: кабинет не найден')
        return 1
    links = await Link.filter(cabinet=cabinet).prefetch_related('account')
    wait = await auth.lockout_left(key)
    rows = [
        ('Логин', cabinet.login),
        (
            'Состояние',
            cabinet.state.value
            + (f' (ждёт подтверждения до {cabinet.pending_until:%Y-%m-%d %H:%M})' if cabinet.pending_until else ''),
        ),
        ('Email', f'{cabinet.email or "—"}{" ✓" if cabinet.email_confirmed_at else ""}'),
        ('Телефон', f'{cabinet.phone or "—"}{" ✓" if cabinet.phone_confirmed_at else ""}'),
        ('Создан', f'{cabinet.created_at:%Y-%m-%d %H:%M}'),
        ('Лицевые счета', ', '.join(link.account.number for link in links) or '—'),
        ('Блокировка входа', f'ещё {int(wait.total_seconds())} с' if wait else 'нет'),
    ]
    for name, value in rows:
        print(f'{name:18} {value}')
    events = await AuditEvent.filter(cabinet_id=cabinet.id).order_by('-at').limit(10)
    for event in events:
        print(f'  {event.at:%Y-%m-%d %H:%M:%S} {event.event} {event.ip or ""} {event.detail or ""}')
    return 0
