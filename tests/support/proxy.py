"""The shipped deployment (deploy/) run for tests: Debian's nginx with deploy/nginx/lichny-kabinet.conf (ports,
certificate and upstreams put in for the test), a Redis server of the test's own, a self-signed certificate."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

from tests.support.paths import ROOT
from tests.support.servers import free_port

SITE = ROOT / 'deploy' / 'nginx' / 'lichny-kabinet.conf'
NGINX = shutil.which('nginx') or '/usr/sbin/nginx'
REDIS = shutil.which('redis-server') or '/usr/bin/redis-server'

#: the response header the test configuration adds: which portal process answered
UPSTREAM_HEADER = 'x-upstream'


def certificate_files(folder: Path) -> tuple[Path, Path]:
    """Where `self_signed_certificate` puts the certificate and its key."""
    return folder / 'cert.pem', folder / 'key.pem'


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (its IP in subjectAltName: a client that verifies, given it as SSL_CERT_FILE,
    accepts it) and its key."""
    cert, key = certificate_files(folder)
    subprocess.run(
        ['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
         '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', str(key), '-out', str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def site_for_test(
    folder: Path, *, upstreams: list[int] | None = None, http_port: int = 80, https_port: int = 443
) -> str:
    """The shipped site with a test certificate, and, when given, loopback ports and the portal processes' ports;
    with upstreams, responses also name the process that answered (UPSTREAM_HEADER)."""
    cert, key = self_signed_certificate(folder)
    site = SITE.read_text()
    site = re.sub(r'ssl_certificate (\S+);', f'ssl_certificate {cert};', site)
    site = re.sub(r'ssl_certificate_key (\S+);', f'ssl_certificate_key {key};', site)
    if upstreams:
        servers = ''.join(f'    server 127.0.0.1:{port} max_fails=1 fail_timeout=10s;\n' for port in upstreams)
        site, count = re.subn(r'(    server 127\.0\.0\.1:\d+ [^\n]*\n)+', servers, site)
        assert count == 1, 'the upstream block of the shipped site changed: update tests/support/proxy.py'
        site = re.sub(r'\n\s*listen \[::\]:\d+[^\n]*', '', site)  # loopback IPv4 only in tests
        site = site.replace('listen 80;', f'listen 127.0.0.1:{http_port};')
        site = site.replace('listen 443 ssl http2;', f'listen 127.0.0.1:{https_port} ssl http2;')
        site = site.replace(
            '    location / {', '    add_header X-Upstream $upstream_addr always;\n\n    location / {', 1
        )
    return site


def main_config(folder: Path, site: str, connections: int = 256) -> Path:
    """An nginx.conf of the test's own around `site`: in the foreground, every file under `folder`; `connections`
    counts both sides (a proxied socket takes two)."""
    (folder / 'site.conf').write_text(site)
    temp = ''.join(
        f'    {kind}_temp_path {folder}/{kind};\n' for kind in ('client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi')
    )
    user = 'user root;\n' if os.geteuid() == 0 else ''  # workers as nobody could not read the test's 0700 folder
    config = folder / 'nginx.conf'
    config.write_text(
        f'{user}daemon off;\nworker_processes 1;\nworker_rlimit_nofile {connections + 64};\npid {folder}/nginx.pid;\n'
        f'error_log {folder}/error.log info;\nevents {{ worker_connections {connections}; }}\n'
        f'http {{\n    access_log {folder}/access.log;\n{temp}    include {folder}/site.conf;\n}}\n'
    )
    return config


def check_config(config: Path, folder: Path) -> subprocess.CompletedProcess[str]:
    """`nginx -t` on the configuration."""
    return subprocess.run(
        [NGINX, '-t', '-c', str(config), '-p', str(folder), '-e', str(folder / 'error.log')],
        capture_output=True, text=True,
    )  # fmt: skip


def _wait_for_port(port: int, process: subprocess.Popen, what: str, log: Path) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection(('127.0.0.1', port), timeout=1):
                return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f'{what} did not start:\n{log.read_text() if log.exists() else ""}')
        time.sleep(0.1)


class Nginx:
    """Debian's nginx in the foreground, in `folder`, as the shipped site configures it."""

    def __init__(
        self, folder: Path, upstreams: list[int], https_port: int | None = None, connections: int = 256
    ) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.http_port, self.https_port = free_port(), https_port or free_port()
        site = site_for_test(folder, upstreams=upstreams, http_port=self.http_port, https_port=self.https_port)
        self.certificate, _ = certificate_files(folder)
        self.config = main_config(folder, site, connections)
        self.log = folder / 'error.log'
        checked = check_config(self.config, folder)
        assert checked.returncode == 0, checked.stderr
        self.process = subprocess.Popen(
            [NGINX, '-c', str(self.config), '-p', str(folder), '-e', str(self.log)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _wait_for_port(self.https_port, self.process, 'nginx', self.log)
        self.url = f'https://127.0.0.1:{self.https_port}'

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


class Redis:
    """A redis-server of the test's own: nothing kept on disk, gone with the test."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.log = folder / 'redis.log'
        self.process = subprocess.Popen(
            [REDIS, '--port', str(self.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
             '--dir', str(folder), '--logfile', str(self.log)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _wait_for_port(self.port, self.process, 'redis-server', self.log)
        self.url = f'redis://127.0.0.1:{self.port}/0'

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
