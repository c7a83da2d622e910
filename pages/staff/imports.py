"""«Загрузка данных», for admins: a billing CSV uploaded in the browser, checked and imported by the `import` command's
own importer, with a progress bar; the report says `file:line: reason` for each bad row (nothing of that file is
written) or what the file added and changed."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from markupsafe import Markup
from nicegui import ui
from nicegui.events import UploadEventArguments

from pages.session import signed_in_staff
from pages.staff.frame import console_frame, staff_page
from pages.widgets import ErrorNote, Form, busy_while
from services import config
from services.billing.imports import KINDS
from services.billing.imports.report import file_summary
from services.errors import InvalidInput
from services.staff import imports, roles
from services.staff.roles import StaffRole
from services.texts import t

if TYPE_CHECKING:
    from services.billing.imports import FileReport

log = logging.getLogger('portal.pages')

#: the bad rows a report lists; the rest are counted (a file of bad rows may have hundreds of thousands)
ERRORS_SHOWN = 100


async def import_page() -> None:
    staff = await staff_page()
    if staff is None:
        return
    with console_frame(t('staff.import.title'), staff, section='import'):
        if not roles.allows(staff, StaffRole.ADMIN):
            ui.label(t('staff.error.forbidden')).props('role=alert').mark('forbidden')
            return
        Upload()


class Upload:
    """The kind, the upload widget, the progress while a file is imported, and its report."""

    def __init__(self) -> None:
        limit = config.settings.import_upload_max_mb
        ui.label(t('staff.import.intro', limit=limit)).classes('text-sm')
        self.form = Form()
        options = {kind: f'{kind}.csv' for kind in KINDS}
        self.kind = self.form.add('kind', ui.select(options, label=t('staff.import.kind_label'))).classes('w-64')
        self.kind.mark('import-kind')
        # the browser refuses a bigger file before sending it; the server checks again (a crafted upload). Quasar's
        # uploader is no accessible control (an unnamed file input inside a link): it stays hidden, and a real button
        # opens its file picker, in the browser, within the click (a picker needs the user's gesture)
        self.upload = ui.upload(
            auto_upload=True,
            max_files=1,
            max_file_size=imports.upload_limit(),
            on_begin_upload=self._began,
            on_upload=self._uploaded,
            on_rejected=self._rejected,
        )
        self.upload.props('accept=".csv,text/csv,text/plain"').classes('hidden')
        self.pick = ui.button(t('staff.import.pick'), icon='upload_file').props('color=primary').mark('import-pick')
        self.pick.on('click', js_handler=f'() => getElement({self.upload.id}).$refs.qRef.pickFiles()')
        self.form.add('file', ErrorNote())
        with ui.column().classes('w-full gap-1') as self.running:
            self.step = ui.label().mark('import-step')
            self.bar = ui.linear_progress(value=0, show_value=False, size='12px').classes('w-full')
            self.bar.props['aria-label'] = t('staff.import.progress_label')
        self.running.set_visibility(False)
        self.report = ui.column().classes('w-full gap-1').mark('import-report')

    def _began(self) -> None:
        self.form.clear_errors()
        self.report.clear()
        self.step.text = t('staff.import.sending')
        self.bar.props['indeterminate'] = True
        self.running.set_visibility(True)

    async def _uploaded(self, event: UploadEventArguments) -> None:
        self.form.clear_errors()
        # one file at a time: a second upload while one imports is dropped (the service imports a file once anyway)
        await busy_while(self.pick, lambda: self._import(event), self.form.show_error)
        self.running.set_visibility(False)
        self.upload.reset()

    async def _import(self, event: UploadEventArguments) -> None:
        staff = await signed_in_staff()
        file = event.file
        if file.size() > imports.upload_limit():
            # never read into memory: NiceGUI keeps a big upload on disk until here
            log.warning(
                'staff %s: upload %.80r of %d bytes over the limit, not read', staff.login, file.name, file.size()
            )
            raise InvalidInput({'file': _over_limit()})
        self.report.clear()
        self.running.set_visibility(True)
        report = await imports.import_upload(
            staff, kind=self.kind.value, name=file.name, content=await file.read(), progress=_Bar(self.step, self.bar)
        )
        self._show(report)

    def _rejected(self) -> None:
        self.form.clear_errors()
        self.form.show_error(InvalidInput({'file': _over_limit()}))

    def _show(self, report: FileReport) -> None:
        with self.report:
            ui.label(file_summary(report)).props('role=status').classes(
                'font-medium' if report.status == 'imported' else 'font-medium text-negative'
            )
            if report.status == 'refused':
                shown = report.errors[:ERRORS_SHOWN]
                items = Markup('').join(Markup('<li>{}</li>').format(error) for error in shown)
                errors = ui.html(Markup('<ul class="font-mono text-sm break-all">{}</ul>').format(items))
                errors.classes('w-full').mark('import-errors')
                if len(report.errors) > len(shown):
                    ui.label(t('staff.import.more_errors', count=len(report.errors) - len(shown)))
                ui.label(t('staff.import.nothing_written'))


def _over_limit() -> str:
    return t('staff.import.over_limit', limit=config.settings.import_upload_max_mb)


class _Bar:
    """The import's progress (services/progress.Progress) on the page: the step's name and a bar."""

    def __init__(self, step: ui.label, bar: ui.linear_progress) -> None:
        self.label, self.bar = step, bar
        self.total: int | None = None
        self.completed = 0

    def step(self, description: str, total: int | None) -> None:
        self.label.text, self.total, self.completed = description, total, 0
        self.bar.props['indeterminate'] = total is None
        self.bar.value = 0

    def show(self, completed: int) -> None:
        self.completed = completed
        if self.total:
            self.bar.value = min(completed / self.total, 1)

    def advance(self, steps: int) -> None:
        self.show(self.completed + steps)
