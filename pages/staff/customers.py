"""«Клиенты»: find a customer's cabinet by login, email, phone, personal account or surname (optionally in a region),
20 at a time; each one found links to its cabinet view (pages/staff/customers_view.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from markupsafe import Markup
from nicegui import ui

from pages.session import signed_in_staff
from pages.staff.frame import console_frame, staff_page
from pages.widgets import Form
from services.staff.customers import search
from services.texts import t, tn

if TYPE_CHECKING:
    from models.staff import Staff

#: the region select's «all regions» (Quasar's select needs a value for it)
ANY_REGION = ''


async def customers_page() -> None:
    staff = await staff_page()
    if staff is None:
        return
    with console_frame(t('staff.customers.title'), staff, section='customers'):
        await Search(staff).build()


class Search:
    """The search form and the results; the paging buttons repeat the search as it was submitted, not as the
    fields read since."""

    def __init__(self, staff: Staff) -> None:
        self.staff = staff
        self.query = ''
        self.region = ANY_REGION
        self.page = 1

    async def build(self) -> None:
        choices = await search.regions(self.staff)
        regions = {ANY_REGION: t('staff.customers.any_region')} | {choice.code: choice.name for choice in choices}
        self.form = Form()
        with ui.element('search').classes('w-full'), ui.row().classes('w-full items-start gap-2'):
            self.query_input = self.form.add('query', ui.input(t('staff.customers.query')))
            self.query_input.classes('grow min-w-[16rem]').props('autocomplete=off clearable')
            self.query_input.props['hint'] = t('staff.customers.query_hint')
            self.region_select = self.form.add(
                'region', ui.select(regions, value=ANY_REGION, label=t('staff.customers.region'))
            )
            self.region_select.classes('min-w-[12rem]').mark('region')
            self.button = ui.button(t('staff.customers.find'), icon='search').props('color=primary')
            self.button.classes('self-center').mark('find')
        self.query_input.on('keydown.enter', lambda: self.form.submit(self.button, self._find))
        self.button.on_click(lambda: self.form.submit(self.button, self._find))
        self.results = ui.column().classes('w-full gap-2').props('aria-live=polite')

    async def _find(self) -> None:
        await self._show(self.query_input.value or '', self.region_select.value or None, 1)

    async def _turn(self, button: ui.button, step: int) -> None:
        await self.form.submit(button, lambda: self._show(self.query, self.region, self.page + step))

    async def _show(self, query: str, region: str | None, page: int) -> None:
        found = await search.search(await signed_in_staff(), query, region=region, page=page)
        self.query, self.region, self.page = query, region, found.page
        self.results.clear()
        with self.results:
            ui.label(tn('staff.customers.found', found.total)).props('role=status').mark('found')
            if not found.hits:
                return
            ui.html(_hits(found.hits)).classes('w-full').mark('hits')
            if found.pages > 1:
                self._pager(found)

    def _pager(self, found: search.SearchPage) -> None:
        with ui.element('nav').classes('row items-center gap-2') as nav:
            nav.props['aria-label'] = t('staff.customers.pages')
            back = ui.button(t('staff.customers.previous'), icon='chevron_left').props('flat no-caps').mark('previous')
            back.set_enabled(found.page > 1)
            back.on_click(lambda: self._turn(back, -1))
            ui.label(t('staff.customers.page', page=found.page, pages=found.pages)).mark('page')
            ahead = ui.button(t('staff.customers.next'), icon='chevron_right').props('flat no-caps').mark('next')
            ahead.set_enabled(found.page < found.pages)
            ahead.on_click(lambda: self._turn(ahead, 1))


_HIT = Markup(
    '<li class="q-item q-item-type column items-start gap-1 q-py-sm">'
    '<a class="font-medium text-primary" href="/staff/customers/{id}">{login}</a>'
    '<span>{state}{surname}</span><span class="text-sm break-all">{contacts}</span>{accounts}</li>'
)


def _hits(hits: tuple[search.CustomerHit, ...]) -> Markup:
    """The cabinets found as one element of escaped HTML (a page of 20 as NiceGUI elements would cost the server some
    hundred elements for as long as the tab stays open)."""
    rows = [
        _HIT.format(
            id=hit.cabinet_id,
            login=hit.login,
            state=t(f'staff.customers.state.{hit.state}'),
            surname=f' · {hit.surname}' if hit.surname else '',
            contacts=' · '.join(value for value in (hit.email, hit.phone) if value) or t('staff.customers.no_contacts'),
            accounts=Markup('<span class="text-sm">{}</span>').format(
                t('staff.customers.accounts_row', numbers=', '.join(hit.accounts))
            )
            if hit.accounts
            else '',
        )
        for hit in hits
    ]
    return Markup('<ul class="q-list q-list--separator w-full">{}</ul>').format(Markup('').join(rows))
