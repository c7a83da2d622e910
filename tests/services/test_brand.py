"""The utility's brand from PORTAL_BRAND_*: refused at start-up when unusable, and carried by every email."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from services import config
from services.messaging import outbox
from tests.support.images import png
from tests.support.paths import ROOT
from tests.support.settings import configure

NOTICE = {'title': 'Платёж получен', 'lines': ['Сумма: 102.00 ₽'], 'action_url': 'http://portal.test/'}


def test_default_brand_colour_is_dark_enough_for_white_text():
    settings = config.settings
    assert settings.brand_logo is None
    assert config.contrast_with_white(settings.brand_color) >= 4.5


def test_a_logo_and_a_colour_are_taken(monkeypatch, tmp_path):
    logo = png(tmp_path / 'logo.png')
    settings = configure(monkeypatch, brand_logo=str(logo), brand_color='#7A1F3D')
    assert settings.brand_logo == logo
    assert settings.brand_color == '#7a1f3d'


def test_an_empty_logo_setting_means_none(monkeypatch):
    assert configure(monkeypatch, brand_logo='').brand_logo is None


@pytest.mark.parametrize(
    ('color', 'message'),
    [
        ('#ffcc00', 'contrast of 1.'),  # yellow: white text unreadable
        ('#5898d4', 'below the 4.5:1'),  # NiceGUI's default primary: 3.1:1
        ('blue', 'give a colour as #RRGGBB'),
        ('#12345', 'give a colour as #RRGGBB'),
    ],
)
def test_a_colour_white_text_cannot_be_read_on_is_refused(monkeypatch, color, message):
    with pytest.raises(ValueError, match='PORTAL_BRAND_COLOR') as refused:
        configure(monkeypatch, brand_color=color)
    assert message in str(refused.value)


def test_a_logo_that_is_missing_or_not_an_image_is_refused(monkeypatch, tmp_path):
    with pytest.raises(ValueError, match='no such file'):
        configure(monkeypatch, brand_logo=str(tmp_path / 'missing.png'))
    fake = tmp_path / 'logo.png'
    fake.write_text('not a picture')
    with pytest.raises(ValueError, match='not a PNG image'):
        configure(monkeypatch, brand_logo=str(fake))
    with pytest.raises(ValueError, match=r'\.png, \.jpg or \.svg'):
        configure(monkeypatch, brand_logo=str(png(tmp_path / 'logo.gif')))
    scripted = tmp_path / 'logo.svg'
    scripted.write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    with pytest.raises(ValueError, match='contains a <script>'):
        configure(monkeypatch, brand_logo=str(scripted))


def test_the_server_refuses_to_start_with_a_bad_brand_and_says_why():
    env = {**os.environ, 'PORTAL_BRAND_COLOR': '#eeeeee'}
    done = subprocess.run([sys.executable, 'main.py', 'migrate'], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.startswith('Настройки: PORTAL_BRAND_COLOR=#eeeeee: white text on it has a contrast of')
    assert 'validation error' not in done.stderr  # our sentence, not pydantic's report


@pytest.mark.usefixtures('db')
async def test_an_email_carries_the_brand_name_and_colour(monkeypatch, mailbox):
    configure(monkeypatch, brand_name='Курскэнерго', brand_color='#7a1f3d')
    await outbox.send_email('ivanov@example.ru', 'Уведомление', 'notice', NOTICE)
    assert await outbox.deliver_due() == 1

    [mail] = mailbox.to('ivanov@example.ru')
    assert 'Курскэнерго' in mail['From']
    html = mail.get_body(('html',)).get_content()
    text = mail.get_body(('plain',)).get_content()
    assert 'background:#7a1f3d; color:#ffffff; font-size:20px; font-weight:bold;' in html  # the header band
    assert '>Курскэнерго</div>' in html
    assert 'background:#7a1f3d; color:#ffffff; text-decoration:none' in html  # the action button
    assert '#0b4f8a' not in html
    assert text.startswith('Курскэнерго')
