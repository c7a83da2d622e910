"""Several processes started at once on a database with no schema yet (a first deployment of N portal processes,
or a command started beside them): each comes up, and each migration is applied by exactly one of them."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.support.databases import empty_database
from tests.support.paths import ROOT

MIGRATIONS = sorted(path.stem for path in (ROOT / 'models' / 'migrations').glob('0*.py'))


def test_processes_started_together_apply_each_migration_once(tmp_path):
    with empty_database(tmp_path) as url:
        env = {**os.environ, 'PORTAL_DATABASE_URL': url, 'PORTAL_LOG_LEVEL': 'INFO'}
        started = [
            subprocess.Popen(
                [sys.executable, 'main.py', 'migrate'], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, text=True,
            )
            for _ in range(3)
        ]  # fmt: skip
        outputs = [process.communicate(timeout=120)[0] for process in started]

    assert [process.returncode for process in started] == [0, 0, 0], '\n\n'.join(outputs)
    applied = [
        line.rsplit('models.', 1)[1] for out in outputs for line in out.splitlines() if 'migration applied' in line
    ]
    assert sorted(applied) == MIGRATIONS  # all of them, none twice
