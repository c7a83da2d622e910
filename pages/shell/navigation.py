"""The portal's main sections for a signed-in customer: links in the header on a desktop (Quasar's md and up,
1024 px), a bottom bar on a phone; the current section is marked for sight and for screen readers."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup
from nicegui import ui

from services.texts import t


@dataclass(frozen=True)
class Section:
    #: its key: the text `nav.<name>`
    name: str
    path: str
    #: a Material icon's name
    icon: str


#: in the order customers see them; «Оплата» joins here once payments are built
SECTIONS = (
    Section('home', '/', 'home'),
    Section('readings', '/readings', 'speed'),
    Section('settings', '/settings', 'settings'),
)
SECTION_NAMES = frozenset(section.name for section in SECTIONS)


@dataclass(frozen=True)
class _Bar:
    #: the classes of every link, of the current one's and of the others'
    link: str
    current: str
    other: str
    #: the current one's attributes
    current_attributes: Markup


_CURRENT = Markup(' aria-current="page"')
#: white on the brand colour in the header (checked for 4.5:1 by config); the current one underlined and bold.
#: The icon (aria-hidden) follows the name in the DOM and `-reverse` shows it first: screen readers hear the name alone
_HEADER = _Bar(
    'text-white no-underline px-3 py-2 rounded flex flex-row-reverse justify-end items-center gap-1',
    'font-bold underline underline-offset-4',
    '',
    _CURRENT,
)
#: the bottom bar is white: the brand colour on white has the same 4.5:1, grey-9 (#616161) 6:1; the current one in
#: the brand colour with a bar above it, not by colour alone
_BOTTOM = _Bar(
    'no-underline flex-1 flex flex-col-reverse justify-end items-center py-1 text-xs',
    'text-primary font-bold',
    'text-grey-9',
    _CURRENT + Markup(' style="box-shadow: inset 0 3px 0 var(--q-primary)"'),
)
_LINK = Markup(
    '<a href="{path}" class="{classes}"{current}>{name}'
    '<i class="q-icon notranslate material-icons text-2xl" aria-hidden="true">{icon}</i></a>'
)


def header_navigation(current: str | None) -> None:
    """Links in the header; hidden below 1024 px, where the bottom bar takes over."""
    _landmark(current, _HEADER).classes('gt-sm row items-center no-wrap gap-1').mark('nav')


def bottom_navigation(current: str | None) -> None:
    """A bar at the bottom of the screen below 1024 px: one icon with its name per section, in reach of a thumb."""
    # Quasar's footer is a <footer> outside <main>: it holds only the navigation, not the page's contentinfo
    with ui.footer().classes('lt-md bg-white').props('bordered role=none').style('padding: 0'):
        _landmark(current, _BOTTOM).classes('w-full row no-wrap').mark('bottom-nav')


def _landmark(current: str | None, bar: _Bar) -> ui.html:
    """The <nav> and its links as one element of HTML: as NiceGUI elements (a nav, a link and an icon per section,
    twice) they cost the server ~30 objects each for as long as the page is open (bench/page_objects.py). The links
    are plain links either way: a click loads the section's page."""
    links = Markup('').join(
        _LINK.format(
            path=section.path,
            classes=f'{bar.link} {bar.current if section.name == current else bar.other}'.rstrip(),
            current=bar.current_attributes if section.name == current else '',
            name=t(f'nav.{section.name}'),
            icon=section.icon,
        )
        for section in SECTIONS
    )
    nav = ui.html(links, tag='nav')
    nav.props['aria-label'] = t('nav.label')
    return nav
