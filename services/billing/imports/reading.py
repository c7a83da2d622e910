"""Reading a billing CSV: opening it, its header, its records with their line numbers, and which kind of file the
header says it is. Every problem is a sentence for the operator (services/texts.py)."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from services.texts import t

if TYPE_CHECKING:
    from services.billing.imports.importer import Importer


class UnreadableError(Exception):
    """The file cannot be read as UTF-8 CSV at all (the message is for the operator)."""


def open_file(path: str) -> Any:
    try:
        # utf-8-sig: Excel and many billing systems start UTF-8 files with a BOM
        return open(path, encoding='utf-8-sig', newline='')
    except FileNotFoundError:
        raise UnreadableError(t('import.file.not_found')) from None
    except IsADirectoryError:
        raise UnreadableError(t('import.file.directory')) from None
    except PermissionError:
        raise UnreadableError(t('import.file.no_permission')) from None
    except OSError as error:
        raise UnreadableError(t('import.file.cannot_open', reason=error.strerror)) from None


def read_header(path: str) -> list[str]:
    with open_file(path) as file:
        for _, values in records(file):
            return [name.strip().lower() for name in values]
    raise UnreadableError(t('import.file.empty'))


def records(file: Any) -> Iterator[tuple[int, list[str]]]:
    """Records with the physical line each starts on (the header is line 1)."""
    reader = csv.reader(file)
    # a quoted value may span lines: a record starts on the line after the previous record ended
    line = 1
    try:
        for values in reader:
            # spreadsheets leave blank lines and lines of bare commas; the first value settles almost every row
            if values and (values[0].strip() or any(value.strip() for value in values)):
                yield line, values
            line = reader.line_num + 1
    except UnicodeDecodeError:
        raise UnreadableError(t('import.file.not_utf8', line=reader.line_num + 1)) from None
    except csv.Error as error:
        raise UnreadableError(t('import.file.bad_csv', line=line, error=error)) from None


def recognise(path: str, header: list[str], importers: Sequence[type[Importer]]) -> tuple[type[Importer] | None, str]:
    """The importer for this header, and what is wrong with the header ('' if nothing)."""
    columns = set(header)
    for importer in importers:
        if set(importer.columns) <= columns <= set(importer.columns) | set(importer.optional):
            duplicated = sorted(name for name, count in Counter(header).items() if count > 1)
            if duplicated:
                return importer, t('import.header.duplicated', columns=', '.join(duplicated))
            return importer, importer.header_problem(columns)
    # not a known header: still name the problem when the file name or most columns say what it was meant to be
    semicolons = f' {t("import.header.semicolons")}' if ';' in ','.join(header) else ''
    stem = Path(path).stem.lower()
    guess = next((importer for importer in importers if importer.kind == stem), None)
    if guess is None:
        overlap = {importer: len(columns & set(importer.columns)) for importer in importers}
        best = max(overlap.values())
        candidates = [importer for importer, count in overlap.items() if count == best]
        if best >= 2 and len(candidates) == 1:
            guess = candidates[0]
    if guess is None:
        expected = '; '.join(f'{importer.kind}.csv: {",".join(importer.columns)}' for importer in importers)
        return None, t('import.header.unknown', header=','.join(header), semicolons=semicolons, expected=expected)
    missing = [name for name in guess.columns if name not in columns]
    extra = [t('import.quoted', value=name) for name in header if name not in guess.columns + guess.optional]
    problems = []
    if missing:
        problems.append(t('import.header.missing', columns=', '.join(missing)))
    if extra:
        problems.append(t('import.header.extra', columns=', '.join(extra)))
    expected_header = t('import.header.expected', columns=','.join(guess.columns + guess.optional))
    return guess, '; '.join(problems) + semicolons + '; ' + expected_header
