"""Issue 11, item 1: one over-long field must not freeze every customer.

The review's attack: a 40 KB «Подтверждение» kept the event loop busy for seconds (the proof's sum parser was
quadratic), and the websocket takes 1 MB. Every text field a form sends is refused at the service boundary when it is
longer than its limit (services/limits.py) with «Слишком длинное значение» at that field, before any regex, hash or
query: whatever the field and the size, the refusal costs the event loop a few milliseconds of CPU.
"""

from __future__ import annotations

import contextlib

import pytest

from services.accounts import linking
from services.billing import ebill
from services.billing.imports import rows
from services.errors import InvalidInput
from services.identity import email_change, registration
from tests.support.forms import BUDGET, IP, TYPED_FIELDS, LoopCpu, signed_in_customer

TOO_LONG = 'Слишком длинное значение'
#: the review's proof and the most the websocket takes
SIZES = (40_000, 1_000_000)


def payload(size: int) -> str:
    """Digits around a run of spaces: sum-shaped, and the worst case of the old proof parser."""
    return '1' + ' ' * (size - 2) + '1'


@pytest.mark.parametrize('size', SIZES)
@pytest.mark.parametrize(('form', 'field'), TYPED_FIELDS)
async def test_an_overlong_field_is_refused_at_once(db, form, field, size):
    customer = await signed_in_customer()
    value = payload(size)
    with pytest.raises(InvalidInput) as caught, LoopCpu() as cpu:
        await form.send(customer, **{field: value})
    assert cpu.spent < BUDGET, f'{cpu.spent * 1000:.0f} ms of event-loop CPU'
    assert caught.value.errors == {field: TOO_LONG}


@pytest.mark.parametrize(
    'confirm', [registration.confirm_email, email_change.confirm_email_change, ebill.confirm_ebill]
)
async def test_an_overlong_link_token_is_a_dead_link(db, confirm):
    with LoopCpu() as cpu:
        assert await confirm(payload(SIZES[-1]), ip=IP) is None
    assert cpu.spent < BUDGET


@pytest.mark.parametrize(
    'text', [payload(100_000), '1' * 100_000, '1 ' * 50_000, 'руб. ' * 20_000, '1' + '\u00a0' * 100_000 + 'руб.']
)
def test_the_proof_parser_is_linear_beyond_the_limit(text):
    """Even past the length limit the sum parser takes time in proportion to the text, not its square."""
    with LoopCpu() as cpu, contextlib.suppress(InvalidInput):
        linking.parse_payment_sum(text)
    assert cpu.spent < BUDGET


def test_the_import_email_check_is_linear():
    """The billing import's email check: two `[^@\\s]+` around a dot tried every dot against the rest."""
    with LoopCpu() as cpu:
        assert not rows.EMAIL.fullmatch('a@' + '.' * 20_000 + '@')
        assert rows.EMAIL.fullmatch('a@b.' + 'c' * 20_000)
    assert cpu.spent < BUDGET
