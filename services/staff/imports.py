"""Billing CSVs uploaded in the console by an admin: the file checked (its size, that it is UTF-8 text, that its header
is of the kind chosen), then imported by the `import` command's own importer, with its progress and its report.

The importer checks every row before it writes anything, inside the file's transaction: a bad row leaves nothing of
the file in the database, and the report says `file:line: reason` for each (services/billing/imports). The upload is
written to a temporary file for it, under the kind's own name; the report names the file as it was uploaded."""

from __future__ import annotations

import asyncio
import codecs
import csv
import io
import logging
import re
import tempfile
from decimal import Decimal
from pathlib import Path

from models.staff import Staff, StaffRole
from services import config, limits
from services.billing.imports import IMPORTERS, KINDS, FileReport, import_files, reading
from services.errors import InvalidInput
from services.identity import audit
from services.progress import SILENT, Progress
from services.staff import roles
from services.texts import format_number, t

log = logging.getLogger('portal.staff')

#: how much of the file the header is looked for in
HEAD_BYTES = 64 * 1024
#: bytes decoded at a time to check the file is UTF-8
CHUNK = 1024 * 1024
#: the uploaded file's name as reports show it: its last part, without control characters
NAME = 255
_UNPRINTABLE = re.compile(r'[\x00-\x1f\x7f]')


def upload_limit() -> int:
    """The largest upload in bytes (PORTAL_IMPORT_UPLOAD_MAX_MB): a page tells its upload widget too."""
    return config.settings.import_upload_max_mb * 1024 * 1024


async def import_upload(
    staff: Staff, *, kind: object, name: object, content: object, progress: Progress = SILENT
) -> FileReport:
    """Import the uploaded `content` (bytes) as a file of `kind` (one of KINDS), named `name` in the report.

    InvalidInput at 'kind' for a kind the import does not know, at 'file' for a file too big, empty, not UTF-8 text
    or whose header is not of `kind`: nothing is imported. Otherwise the importer's report: status 'imported', or
    'refused' / 'unreadable' with its `file:line: reason` lines and nothing of the file written."""
    roles.require(staff, StaffRole.ADMIN, 'import billing files')
    limits.check_text(kind=(kind, 16), name=(name, NAME * 4))
    if kind not in KINDS:
        raise InvalidInput({'kind': t('staff.import.kind', kinds=', '.join(KINDS))})
    assert isinstance(kind, str)
    shown = _shown(name, kind)
    refusal = await asyncio.to_thread(_refusal, content, kind)
    if refusal is not None:
        reason, message = refusal
        size = len(content) if isinstance(content, bytes | bytearray) else None
        await audit.record('staff_import_refused', staff_id=staff.id, file=shown, kind=kind, size=size, reason=reason)
        log.warning('staff %s: upload %s (%s, %s bytes) refused: %s', staff.login, shown, kind, size, reason)
        raise InvalidInput({'file': message})
    assert isinstance(content, bytes | bytearray)
    report = await _import(bytes(content), kind, shown, progress)
    await audit.record(
        'staff_import',
        staff_id=staff.id,
        file=shown,
        kind=kind,
        status=report.status,
        rows=report.rows,
        added=report.added,
        changed=report.changed,
        errors=len(report.errors),
    )
    log.info('staff %s imported %s (%s): %s', staff.login, shown, kind, report.status)
    return report


def _shown(name: object, kind: str) -> str:
    """The file's name without its folders (a browser may send them) and control characters; the kind's own when
    none is left."""
    text = name if isinstance(name, str) else ''
    text = _UNPRINTABLE.sub('', re.split(r'[/\\]', text)[-1]).strip()
    return limits.shorten(text, NAME) if text else f'{kind}.csv'


def _refusal(content: object, kind: str) -> tuple[str, str] | None:
    """Why the file cannot be imported as `kind` at all (a short reason for the audit, the admin's message), or
    None. Runs in a thread: it reads the whole file."""
    if not isinstance(content, bytes | bytearray):
        return 'not_file', t('staff.import.not_file')
    limit = upload_limit()
    if len(content) > limit:
        return 'too_big', t('staff.import.too_big', size=_megabytes(len(content)), limit=_megabytes(limit))
    if not content.strip():
        return 'empty', t('staff.import.empty')
    # a NUL never occurs in text: a spreadsheet (.xlsx), an archive or a UTF-16 export
    if b'\x00' in content:
        return 'not_text', t('staff.import.not_text')
    if (bad := _not_utf8_at(content)) is not None:
        return 'not_utf8', t('staff.import.not_utf8', line=content.count(b'\n', 0, bad) + 1)
    return _header_refusal(bytes(content[:HEAD_BYTES]), kind)


def _not_utf8_at(content: bytes | bytearray) -> int | None:
    """Where the first byte that is no UTF-8 is (None: all of it is UTF-8), decoded a chunk at a time: a whole
    file's text would cost up to four times its size."""
    decoder = codecs.getincrementaldecoder('utf-8')()
    view = memoryview(content)
    for start in range(0, len(view), CHUNK):
        # the error's position counts from the bytes the decoder held back at the end of the chunk before
        held = len(decoder.getstate()[0])
        try:
            decoder.decode(view[start : start + CHUNK], final=start + CHUNK >= len(view))
        except UnicodeDecodeError as error:
            return start - held + error.start
    return None


def _header_refusal(head: bytes, kind: str) -> tuple[str, str] | None:
    # the head may end inside a character: what is cut off there is no part of the header
    text = head.decode('utf-8-sig', errors='ignore')
    try:
        header = next((values for _, values in reading.records(io.StringIO(text, newline=''))), None)
    except (reading.UnreadableError, csv.Error) as error:
        return 'bad_header', t('staff.import.bad_header', problem=str(error))
    if header is None:
        return 'empty', t('staff.import.empty')
    header = [name.strip().lower() for name in header]
    # named as the kind: a header of no kind is then compared with the chosen one's columns
    importer, problem = reading.recognise(f'{kind}.csv', header, IMPORTERS)
    if importer is not None and importer.kind != kind:
        return 'other_kind', t('staff.import.other_kind', found=importer.kind, kind=kind)
    return ('bad_header', t('staff.import.bad_header', problem=problem)) if problem else None


async def _import(content: bytes, kind: str, shown: str, progress: Progress) -> FileReport:
    with tempfile.TemporaryDirectory(prefix='portal-upload-') as folder:
        path = Path(folder) / f'{kind}.csv'
        await asyncio.to_thread(path.write_bytes, content)
        [report] = (await import_files([path], _Renamed(progress, str(path), shown))).files
    # where the server kept the file is no business of the page: the report names the upload
    stored = str(path)
    report.path = shown
    report.errors = [shown + error[len(stored) :] if error.startswith(stored) else error for error in report.errors]
    return report


class _Renamed:
    """The page's progress, its steps naming the upload instead of the temporary file."""

    def __init__(self, progress: Progress, stored: str, shown: str) -> None:
        self.progress, self.stored, self.shown = progress, stored, shown

    def step(self, description: str, total: int | None) -> None:
        self.progress.step(description.replace(self.stored, self.shown), total)

    def show(self, completed: int) -> None:
        self.progress.show(completed)

    def advance(self, steps: int) -> None:
        self.progress.advance(steps)


def _megabytes(size: int) -> str:
    megabytes = (Decimal(size) / 1024 / 1024).quantize(Decimal('0.1'))
    return format_number(megabytes.to_integral() if megabytes == megabytes.to_integral() else megabytes)
