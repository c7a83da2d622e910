"""Audits the lock files with pip-audit against PyPI's vulnerability data (used by scripts/test.sh).

Exit 1 when a locked package has a known vulnerability. When the data cannot be had (no network, or the service left
packages unaudited), pip-audit itself would say "No known vulnerabilities found" and exit 0: this fails then under
AUDIT_UNREACHABLE=fail (the default when CI=true) and warns under AUDIT_UNREACHABLE=warn (the default otherwise)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

LOCKS = ('requirements/test.txt', 'requirements/redis.txt')


def main() -> int:
    policy = os.environ.get('AUDIT_UNREACHABLE') or ('fail' if os.environ.get('CI') == 'true' else 'warn')
    with tempfile.TemporaryDirectory() as folder:
        report_file = Path(folder) / 'audit.json'
        command = [str(Path(sys.executable).with_name('pip-audit'))]
        for lock in LOCKS:
            command += ['-r', lock]
        # --disable-pip: the hashed lock is read as it is, nothing resolved or installed
        command += ['--require-hashes', '--disable-pip', '--progress-spinner', 'off', '-f', 'json', '-o', report_file]
        run = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - our own arguments
        try:
            report = json.loads(report_file.read_text(encoding='utf-8'))
        except (OSError, ValueError):
            report = None
    if report is None:
        # pip-audit stopped before it had a report: an unreachable service or a lock it could not read
        last_line = (run.stderr.strip().splitlines() or [''])[-1]
        return _unaudited(policy, f'pip-audit failed (exit {run.returncode}): {last_line}')
    dependencies = report['dependencies']
    vulnerable = [dep for dep in dependencies if dep.get('vulns')]
    skipped = [dep for dep in dependencies if 'skip_reason' in dep]
    for dep in vulnerable:
        for vuln in dep['vulns']:
            fixed = ', '.join(vuln.get('fix_versions') or []) or 'no fixed release'
            print(f'VULNERABLE {dep["name"]}=={dep["version"]}: {vuln["id"]} (fixed in {fixed})', file=sys.stderr)
    if vulnerable:
        print('Upgrade those packages in the lock: make lock ARGS="--upgrade-package NAME"', file=sys.stderr)
        return 1
    audited = len(dependencies) - len(skipped)
    if skipped:
        return _unaudited(
            policy,
            f'{len(skipped)} of {len(dependencies)} locked packages could not be audited, e.g. '
            f'{skipped[0]["name"]}: {skipped[0]["skip_reason"]}',
        )
    print(f'pip-audit: {audited} locked packages, no known vulnerabilities')
    return 0


def _unaudited(policy: str, why: str) -> int:
    word = 'FAILED' if policy == 'fail' else 'WARNING'
    print(f'{word}: the dependency audit did not happen: {why}', file=sys.stderr)
    print('(AUDIT_UNREACHABLE=warn lets the tests run without it; =fail stops them)', file=sys.stderr)
    return 1 if policy == 'fail' else 0


if __name__ == '__main__':
    sys.exit(main())
