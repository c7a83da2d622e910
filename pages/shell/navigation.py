"""The portal's main sections for a signed-in customer: links in the header on a desktop (Quasar's md and up,
1024 px), a bottom bar on a phone; the current section is marked for sight and for screen readers."""

from __future__ import annotations

from dataclasses import dataclass

from nicegui import ui

from services.texts import t


@dataclass(frozen=True)
class Section:
    #: its key: the text `nav.<name>`, the marks `nav-<name>` (header) and `bottom-nav-<name>` (bottom bar)
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

#: white on the brand colour in the header (checked for 4.5:1 by config); the current one underlined and bold.
#: A link's name is its own text, which NiceGUI puts before its children: the icon (aria-hidden, Quasar's) follows it
#: in the DOM and `-reverse` shows it first, so a link is two elements, not three with a label (every element costs
#: the server ~30 objects per open page, bench/page_objects.py); screen readers hear the name alone either way
_HEADER_LINK = 'text-white no-underline px-3 py-2 rounded flex flex-row-reverse justify-end items-center gap-1'
#: the bottom bar is white: the brand colour on white has the same 4.5:1, grey-9 (#616161) 6:1
_BOTTOM_LINK = 'no-underline flex-1 flex flex-col-reverse justify-end items-center py-1 text-xs'


def header_navigation(current: str | None) -> None:
    """Links in the header; hidden below 1024 px, where the bottom bar takes over."""
    with _landmark().classes('gt-sm row items-center no-wrap gap-1'):
        for section in SECTIONS:
            with _link(section, current, 'nav').classes(_HEADER_LINK) as link:
                ui.icon(section.icon, size='sm')
            if section.name == current:
                link.classes('font-bold underline underline-offset-4')


def bottom_navigation(current: str | None) -> None:
    """A bar at the bottom of the screen below 1024 px: one icon with its name per section, in reach of a thumb."""
    # Quasar's footer is a <footer> outside <main>: it holds only the navigation, not the page's contentinfo
    bar = ui.footer().classes('lt-md bg-white').props('bordered role=none').style('padding: 0')
    with bar, _landmark().classes('w-full row no-wrap'):
        for section in SECTIONS:
            with _link(section, current, 'bottom-nav').classes(_BOTTOM_LINK) as link:
                ui.icon(section.icon, size='sm')
            # the current one in the brand colour with a bar above it, not by colour alone
            if section.name == current:
                link.classes('text-primary font-bold').style('box-shadow: inset 0 3px 0 var(--q-primary)')
            else:
                link.classes('text-grey-9')


def _landmark() -> ui.element:
    nav = ui.element('nav')
    nav.props['aria-label'] = t('nav.label')
    return nav


def _link(section: Section, current: str | None, mark: str) -> ui.link:
    link = ui.link(t(f'nav.{section.name}'), section.path).mark(f'{mark}-{section.name}')
    if section.name == current:
        link.props['aria-current'] = 'page'
    return link
