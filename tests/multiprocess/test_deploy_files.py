"""The files in deploy/ as an operator installs them: nginx accepts the site, systemd accepts the unit."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.paths import ROOT
from tests.support.proxy import NGINX, SITE, check_config, main_config, site_for_test

UNIT = ROOT / 'deploy' / 'systemd' / 'lichny-kabinet@.service'


@pytest.mark.skipif(not Path(NGINX).exists(), reason='nginx is not installed (scripts/test.sh installs it in CI)')
def test_nginx_accepts_the_shipped_site(tmp_path):
    # as shipped, only the placeholder certificate paths pointed at a certificate made for the test
    config = main_config(tmp_path, site_for_test(tmp_path))

    checked = check_config(config, tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert 'test is successful' in checked.stderr


def test_the_site_reuses_no_upstream_connection():
    # a socket upgraded on a reused connection was closed by uvicorn's keep-alive timer of the page served before it
    # (~3 % of the customers' sockets under load, bench/capacity.py --behind-nginx): see the comment in the site
    upstream = re.search(r'upstream lichny_kabinet \{(.*?)\n\}', SITE.read_text(), re.DOTALL)
    assert upstream, 'the upstream block of the shipped site changed: update this test'
    directives = [line.split('#')[0].strip() for line in upstream.group(1).splitlines()]
    assert not [line for line in directives if line.startswith('keepalive')]


@pytest.mark.skipif(not shutil.which('systemd-analyze'), reason='systemd-analyze is not installed')
def test_systemd_accepts_the_portal_unit(tmp_path):
    # the unit's paths pointed at this checkout and an empty settings file; its user need not exist here
    env_file = tmp_path / 'portal.env'
    env_file.write_text('')
    unit = UNIT.read_text().replace('/opt/lichny-kabinet', str(ROOT))
    unit = unit.replace('/etc/lichny-kabinet/portal.env', str(env_file))
    instance = tmp_path / 'lichny-kabinet@8081.service'
    instance.write_text(unit)

    checked = subprocess.run(
        ['systemd-analyze', 'verify', str(instance)], capture_output=True, text=True, cwd=tmp_path,
        env={**os.environ, 'SYSTEMD_LOG_LEVEL': 'warning'},
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    assert 'lichny-kabinet' not in checked.stderr, checked.stderr  # no directive it ignored
