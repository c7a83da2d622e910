"""The utility's look from settings (PORTAL_BRAND_NAME, _LOGO, _COLOR): Quasar's primary colour, the logo served as a
static file and the header's brand link. The favicon is `ui.run(favicon=…)` in main.py."""

from __future__ import annotations

from nicegui import app, ui
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services import config

#: where the logo is served (under /_nicegui/, which every visitor may load); None without a logo
_logo_url: str | None = None
#: the logo opened on its own is a document of the portal's origin: it may draw itself, never run or fetch anything
#: (services/logo.py refused such files at start-up; this holds should a way past that check turn up)
LOGO_HEADERS = [
    (b'content-security-policy', b"default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"),
]  # nosniff and the portal's own policy come with every response (pages/shell/middleware.py)


def bind_brand() -> None:
    """Once per app, before serving: the primary colour for every page, and the logo file as a cached static file."""
    global _logo_url
    settings = config.settings
    app.colors(primary=settings.brand_color)
    # links in the brand colour too: NiceGUI's default blue is 3.7:1 on white; ours was checked for 4.5:1
    ui.add_head_html('<style>.nicegui-link { color: var(--q-primary); }</style>', shared=True)
    _logo_url = app.add_static_file(local_file=settings.brand_logo) if settings.brand_logo else None


def brand_link(home: str = '/') -> None:
    """The header's link to the start page (`home`: the console's for staff): the logo (its alt text is the utility's
    name) before the name."""
    name = config.settings.brand_name
    classes = 'text-white text-lg font-bold no-underline'
    if _logo_url is None:
        ui.link(name, home).classes(classes).mark('brand')
        return
    with ui.link(target=home).classes(f'{classes} flex items-center gap-2').mark('brand'):
        logo = ui.element('img').classes('h-8 w-auto').mark('logo')
        logo.props.update(src=_logo_url, alt=name)  # as values, not a props string: the name may hold quotes
        # the link's accessible name is the logo's alt text; the visible name would only repeat it
        ui.label(name).props('aria-hidden=true')


class LogoHeaders:
    """Adds LOGO_HEADERS to the logo's responses: its static file and /favicon.ico."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] != 'http' or _logo_url is None or scope['path'] not in (_logo_url, '/favicon.ico'):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message['type'] == 'http.response.start':
                message['headers'] = [*message.get('headers', []), *LOGO_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)
