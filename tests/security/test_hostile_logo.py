"""Issue 11, item 17: an SVG logo that runs script.

The portal serves PORTAL_BRAND_LOGO from its own origin; opened on its own, an SVG is a document, and the start-up
check looked only for `<script`. An event handler (`<svg onload=…>`), HTML inside `<foreignObject>`, a `javascript:`
link, an XSLT stylesheet or CSS from another host passed. Now the file is parsed as XML and anything that acts or
fetches is refused at start-up, naming the setting; and the logo is served with a policy that forbids script anyway.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import httpx
import pytest
from playwright.sync_api import Page

from tests.support.images import LOGO_SVG, svg
from tests.support.paths import ROOT
from tests.support.settings import configure

SVG = 'xmlns="http://www.w3.org/2000/svg"'
XLINK = 'xmlns:xlink="http://www.w3.org/1999/xlink"'
HTML = 'xmlns:h="http://www.w3.org/1999/xhtml"'

HOSTILE = {
    'onload': (f'<svg {SVG} onload="alert(1)"/>', 'has an event handler (onload on <svg>)'),
    'onclick deep inside': (f'<svg {SVG}><g><rect onclick="alert(1)"/></g></svg>', 'onclick on <rect>'),
    'foreignObject': (
        f'<svg {SVG}><foreignObject><img xmlns="http://www.w3.org/1999/xhtml" src="x"/></foreignObject></svg>',
        'contains a <foreignObject>',
    ),
    'script in HTML namespace': (f'<svg {SVG} {HTML}><h:script>alert(1)</h:script></svg>', 'contains a <script>'),
    'HTML iframe': (f'<svg {SVG} {HTML}><h:iframe src="https://evil.example/"/></svg>', 'contains a <iframe>'),
    'javascript link': (
        f'<svg {SVG} {XLINK}><a xlink:href="javascript:alert(1)"><rect width="9" height="9"/></a></svg>',
        'links outside the file (href="javascript:alert(1)" on <a>)',
    ),
    'external image': (f'<svg {SVG}><image href="https://evil.example/track.png"/></svg>', 'links outside the file'),
    'animated link': (
        f'<svg {SVG}><a><set attributeName="href" to="javascript:alert(1)"/><rect/></a></svg>',
        'animates href on <set>',
    ),
    'animated link under another prefix': (
        f'<svg {SVG} xmlns:x="http://www.w3.org/1999/xlink"><a><set attributeName="x:href" to="javascript:alert(1)"/>'
        '<rect/></a></svg>',
        'animates x:href on <set>',
    ),
    'XSLT': (
        f'<?xml version="1.0"?><?xml-stylesheet type="text/xsl" href="https://evil.example/page.xsl"?><svg {SVG}/>',
        'has a processing instruction (<?xml-stylesheet',
    ),
    'CSS import': (f'<svg {SVG}><style>@import "https://evil.example/x.css";</style></svg>', 'has a <style> that'),
    'CSS url': (f'<svg {SVG}><rect style="fill: url(\'https://evil.example/p.svg#p\')"/></svg>', 'loads from outside'),
    'entities': (
        f'<!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><svg {SVG}><text>&b;</text></svg>',
        'has a DOCTYPE or entities',
    ),
    'HTML page': ('<html xmlns="http://www.w3.org/1999/xhtml"><body onload="alert(1)"><svg/></body></html>', 'root'),
}

#: what a designer's editor exports: metadata in editor namespaces, a gradient, a local reference, a style sheet
EXPORTED = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<!-- Created with Inkscape -->\n'
    f'<svg {SVG} {XLINK} xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd" '
    'xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" width="64" height="64" viewBox="0 0 64 64">'
    '<sodipodi:namedview id="view" inkscape:zoom="4"/>'
    '<style><![CDATA[.bolt { fill: url(#sun); }]]></style>'
    '<defs><linearGradient id="sun"><stop offset="0" stop-color="#ffcc00"/></linearGradient>'
    '<path id="bolt" d="M36 6 14 36h16l-4 22 22-30H32z"/></defs>'
    '<title>Курскэнерго</title><rect width="64" height="64" fill="url( \'#sun\' )"/>'
    '<use xlink:href="#bolt" class="bolt"/><image width="4" height="4" href="data:image/png;base64,iVBORw0KGgo="/>'
    '</svg>'
)


@pytest.mark.parametrize(('text', 'reason'), HOSTILE.values(), ids=HOSTILE.keys())
def test_a_logo_that_could_run_script_or_fetch_is_refused(monkeypatch, tmp_path, text, reason):
    logo = svg(tmp_path / 'logo.svg', text)
    with pytest.raises(ValueError, match='PORTAL_BRAND_LOGO=') as refused:
        configure(monkeypatch, brand_logo=str(logo))
    assert reason in str(refused.value)


@pytest.mark.parametrize('text', [LOGO_SVG, EXPORTED], ids=['flat', 'exported by an editor'])
def test_a_plain_logo_is_still_taken(monkeypatch, tmp_path, text):
    logo = svg(tmp_path / 'logo.svg', text)
    assert configure(monkeypatch, brand_logo=str(logo)).brand_logo == logo


def test_the_server_refuses_to_start_with_a_scripted_logo_and_says_why(tmp_path):
    logo = svg(tmp_path / 'logo.svg', HOSTILE['onload'][0])
    env = {**os.environ, 'PORTAL_BRAND_LOGO': str(logo)}
    done = subprocess.run([sys.executable, 'main.py', 'migrate'], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 2
    refusal = f'Настройки: PORTAL_BRAND_LOGO={logo}: the SVG has an event handler (onload on <svg>)'
    assert done.stderr.startswith(refusal)


def test_the_logo_is_served_with_a_policy_that_forbids_script(start_portal, page: Page, tmp_path):
    logo = svg(tmp_path / 'logo.svg')
    portal = start_portal('default', PORTAL_BRAND_LOGO=str(logo))
    page.goto(f'{portal.url}/login')
    src = page.locator('header img').get_attribute('src')
    assert src and src.endswith('.svg')

    for path in (src, '/favicon.ico'):
        served = httpx.get(f'{portal.url}{path}')
        assert served.text == LOGO_SVG
        policy = served.headers.get('content-security-policy', '')
        assert re.search(r"(^|;)\s*default-src 'none'", policy), (path, policy)
        assert 'sandbox' in policy, (path, policy)
        assert served.headers.get('x-content-type-options') == 'nosniff'
