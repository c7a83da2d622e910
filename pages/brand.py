"""The utility's look from settings (PORTAL_BRAND_NAME, _LOGO, _COLOR): Quasar's primary colour, the logo's URL and
the header's brand link. The favicon is `ui.run(favicon=…)` in main.py."""

from __future__ import annotations

from nicegui import app, ui

from services import config

#: where the logo is served (under /_nicegui/, which every visitor may load); None without a logo
_logo_url: str | None = None


def bind_brand() -> None:
    """Once per app, before serving: the primary colour for every page, and the logo file as a cached static file."""
    global _logo_url
    settings = config.settings
    app.colors(primary=settings.brand_color)
    # links in the brand colour too: NiceGUI's default blue is 3.7:1 on white; ours was checked for 4.5:1
    ui.add_head_html('<style>.nicegui-link { color: var(--q-primary); }</style>', shared=True)
    _logo_url = app.add_static_file(local_file=settings.brand_logo) if settings.brand_logo else None


def logo_url() -> str | None:
    return _logo_url


def brand_link() -> None:
    """The header's link to the start page: the logo (its alt text is the utility's name) before the name."""
    name = config.settings.brand_name
    classes = 'text-white text-lg font-bold no-underline'
    if _logo_url is None:
        ui.link(name, '/').classes(classes).mark('brand')
        return
    with ui.link(target='/').classes(f'{classes} flex items-center gap-2').mark('brand'):
        logo = ui.element('img').classes('h-8 w-auto').mark('logo')
        logo.props.update(src=_logo_url, alt=name)  # as values, not a props string: the name may hold quotes
        # the link's accessible name is the logo's alt text; the visible name would only repeat it
        ui.label(name).props('aria-hidden=true')
