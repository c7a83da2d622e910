"""The log as a collector reads it: PORTAL_LOG_FORMAT=json writes one JSON object per line, a traceback included."""

from __future__ import annotations

import json
import logging
import sys

from cli.database import log_formatter
from tests.support.commands import run_main


def test_a_command_logs_json_lines_when_asked():
    done = run_main('outbox', 'status', PORTAL_LOG_FORMAT='json')

    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stderr.splitlines()]
    ready = next(record for record in records if record['message'].startswith('database ready'))
    assert set(ready) == {'timestamp', 'level', 'logger', 'message'}
    assert (ready['level'], ready['logger']) == ('INFO', 'services.db')
    assert ready['timestamp'].endswith('+00:00')


def test_text_stays_the_default():
    done = run_main('outbox', 'status')

    assert done.returncode == 0, done.stderr
    assert 'INFO services.db: database ready' in done.stderr
    assert not done.stderr.lstrip().startswith('{')


def record(message: str, *args: object, exc_info: object = None) -> logging.LogRecord:
    return logging.LogRecord('portal.audit', logging.ERROR, __file__, 1, message, args, exc_info)


def test_a_json_record_keeps_a_forged_line_inside_its_message_and_carries_the_traceback():
    try:
        raise RuntimeError('boom')
    except RuntimeError:
        failure = sys.exc_info()

    line = log_formatter('json').format(record('login_failure login=%s', 'x\nFAKE ok', exc_info=failure))

    assert '\n' not in line
    parsed = json.loads(line)
    assert parsed['message'] == 'login_failure login=x\nFAKE ok'
    assert parsed['level'] == 'ERROR' and parsed['logger'] == 'portal.audit'
    assert 'RuntimeError: boom' in parsed['exc_info'] and parsed['exc_info'].startswith('Traceback')
