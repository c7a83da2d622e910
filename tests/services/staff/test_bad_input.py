"""Whatever a console form sends (a megabyte, a number, a list where text goes), its service answers with an error at
that field within the event loop's budget, and changes nothing."""

from __future__ import annotations

import pytest

from models.staff import Staff
from services.errors import InvalidInput, NotAllowed
from services.staff import accounts, enrolment, login
from tests.support.factories import GOOD
from tests.support.forms import BUDGET, LoopCpu
from tests.support.staff import StaffMember, enrolled_staff, token_of

#: on the fake clock (20 November 2026, 10:00 UTC): the tests compute the app's codes for it
pytestmark = pytest.mark.usefixtures('db', 'fake_clock')

MEGABYTE = 'я' * 1_000_000


class Console:
    """What the forms act as: an admin, and a link of a staff member not yet enrolled."""

    def __init__(self, admin: StaffMember, token: str, secret: str) -> None:
        self.admin, self.token, self.secret = admin, token, secret


#: each console form: its service called with one field replaced (the others as a staff member fills them in well)
FORMS = {
    'login': (
        ('login', 'password', 'code'),
        lambda c, login_='chief', password=GOOD, code='123456': login.login(login_, password, code, ip='10.0.0.1'),
    ),
    'add_staff': (
        ('login', 'role'),
        lambda c, login_='newbie', role='viewer': accounts.add_staff(login_, role, by=c.admin.staff),
    ),
    'change_role': (
        ('login', 'role'),
        lambda c, login_='anna', role='admin': accounts.change_role(c.admin.staff, login_, role),
    ),
    'disable': (('login',), lambda c, login_='anna': accounts.disable(c.admin.staff, login_)),
    'reissue_link': (('login',), lambda c, login_='anna': accounts.reissue_link(c.admin.staff, login_)),
    'complete_enrolment': (
        ('password', 'password_confirm', 'code'),
        lambda c, password=GOOD, password_confirm=GOOD, code='123456': enrolment.complete_enrolment(
            c.token, c.secret, password, password_confirm, code, ip='10.0.0.1'
        ),
    ),
}
FIELDS = [pytest.param(form, field, id=f'{form}-{field}') for form, (fields, _) in FORMS.items() for field in fields]


async def console() -> Console:
    admin = await enrolled_staff('chief')
    _, link = await accounts.add_staff('anna', 'viewer', by=None)
    started = await enrolment.open_enrolment(token_of(link))
    return Console(admin, token_of(link), started.secret)


async def send(form: str, field: str, value: object) -> dict[str, str]:
    """The field errors of the form sent with `value` in `field`; nothing stored changed."""
    console_ = await console()
    before = await Staff.all().order_by('id').values()
    with pytest.raises(InvalidInput) as caught, LoopCpu() as cpu:
        # `login_`: the lambdas' own name for the login field (`login` is the service module)
        await FORMS[form][1](console_, **{'login_' if field == 'login' else field: value})
    assert cpu.spent < BUDGET, f'{cpu.spent * 1000:.0f} ms of event-loop CPU'
    assert await Staff.all().order_by('id').values() == before
    return caught.value.errors


@pytest.mark.parametrize(('form', 'field'), FIELDS)
async def test_a_megabyte_is_refused_at_its_field_at_once(form, field):
    assert await send(form, field, MEGABYTE) == {field: 'Слишком длинное значение'}


@pytest.mark.parametrize(('form', 'field'), FIELDS)
@pytest.mark.parametrize('crafted', [123456, ['chief'], {'role': 'admin'}], ids=['number', 'list', 'object'])
async def test_what_is_not_text_is_refused_at_its_field(form, field, crafted):
    assert await send(form, field, crafted) == {field: 'Недопустимое значение'}


@pytest.mark.parametrize('token', [MEGABYTE, 12345, None, ['x']], ids=['megabyte', 'number', 'none', 'list'])
async def test_a_made_up_enrolment_token_is_a_dead_link(token):
    console_ = await console()
    with LoopCpu() as cpu:
        with pytest.raises(NotAllowed, match='недействительна'):
            await enrolment.open_enrolment(token)
        with pytest.raises(NotAllowed, match='недействительна'):
            await enrolment.complete_enrolment(token, console_.secret, GOOD, GOOD, '123456', ip=None)
    assert cpu.spent < BUDGET
    assert (await Staff.get(login='anna')).enrolled_at is None
