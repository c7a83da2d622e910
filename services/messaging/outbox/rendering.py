"""An email's text and HTML bodies, rendered when it is queued from services/messaging/templates/email."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from services import config
from services.texts import in_language, t

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent.parent / 'templates' / 'email'),
    autoescape=select_autoescape(['html']),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
# the templates' own words come from the catalogs too, in the language the email is queued in
_templates.globals['t'] = t


def render(template: str, context: Mapping[str, Any], language: str) -> tuple[str, str]:
    """(text, html) of `template`.txt and .html in `language`; a missing context variable raises here."""
    settings = config.settings  # what every email's frame (base.txt, base.html) shows of the operator
    shared = {
        'brand_name': settings.brand_name,
        'brand_color': settings.brand_color,
        'base_url': settings.base_url,
        # the contact centre in every email's footer; empty: no line
        'support_phone': settings.support_phone,
        'support_tel': settings.support_tel,
        'support_hours': settings.support_hours,
    }
    values = {**context, **shared, 'lang': language}
    with in_language(language):  # the templates' own words too
        text = _templates.get_template(f'{template}.txt').render(values)
        html = _templates.get_template(f'{template}.html').render(values)
    return text, html
