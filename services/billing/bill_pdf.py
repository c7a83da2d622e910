"""The bill (платёжный документ) as a PDF: a pure function of its data, shared by the overview download and the
monthly e-bill email, so it has to be fast — the font is parsed, and its subset for a bill's characters embedded,
once per process (`_SharedSubsetFont`).

The bill is a Russian legal document: it is printed in Russian whatever the customer's language (money, dates and
periods come from services/texts.py, which formats them with Babel; the kWh and tariff columns from `format_number`).
"""

from __future__ import annotations

import copy
import io
import logging
import threading
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfdoc import PDFDocument, PDFName, PDFObject, PDFObjectReference
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from services.texts import format_date, format_money, in_language, period_label, t

# fontTools logs whole glyph lists at INFO while it slims the font once per process
logging.getLogger('fontTools').setLevel(logging.WARNING)

NBSP = '\u00a0'

REGULAR, BOLD = 'PTSans', 'PTSans-Bold'
#: PT Sans by ParaType, under the SIL Open Font License (OFL.txt beside the fonts)
FONTS = Path(__file__).parent / 'fonts'
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 20 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
#: right edges of the numeric columns (kWh, tariff, sum); the service name wraps in what is left of them
COLUMN_RIGHTS = (MARGIN + CONTENT_WIDTH - 75 * mm, MARGIN + CONTENT_WIDTH - 35 * mm, MARGIN + CONTENT_WIDTH)
SERVICE_WIDTH = CONTENT_WIDTH - 100 * mm
CELL_PAD = 2 * mm


def _group(digits: str) -> str:
    """'1234567' → '1 234 567' with non-breaking spaces, so a sum never wraps in the middle."""
    head = len(digits) % 3 or 3
    return NBSP.join([digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)])


def format_number(value: Decimal, places: int = 2, min_places: int | None = None) -> str:
    """Russian style: NBSP between thousands, a comma before the decimals; rounded to `places`, then trailing zeros
    dropped down to `min_places` (default: keep all `places`)."""
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    whole, _, fraction = f'{abs(rounded):f}'.partition('.')
    keep = places if min_places is None else min_places
    fraction = fraction[:keep] + fraction[keep:].rstrip('0')
    # -0.004 rounds to -0.00, which compares equal to zero: no minus sign then
    sign = '-' if rounded < 0 else ''
    return sign + _group(whole) + (',' + fraction if fraction else '')


def _slim(path: Path) -> io.BytesIO:
    """The font without TrueType hinting and layout tables, which reportlab never uses but would copy into every
    document: each PDF gets ~4× smaller and renders ~2.5× faster. Every character stays."""
    # fontTools is needed this once per process: imported here, it keeps ~0.1 s off every start of the portal
    from fontTools import subset
    from fontTools.ttLib import TTFont as FontFile

    # not stamped with the time it is slimmed: a bill gives the same bytes in every process
    font = FontFile(path, recalcTimestamp=False)
    subsetter = subset.Subsetter(subset.Options(hinting=False, layout_features=[]))
    subsetter.populate(unicodes=font.getBestCmap())
    subsetter.subset(font)
    slim = io.BytesIO()
    font.save(slim)
    slim.seek(0)
    return slim


#: every character a bill normally prints: each document's font subset starts as exactly these, in this order
#: (a subset holds 256 codes, so the rest leave room for a bill's rare letters)
ALPHABET = (
    ''.join(map(chr, range(0x20, 0x7F)))  # printable ASCII
    + ''.join(map(chr, range(0x410, 0x450)))  # the Russian alphabet, А to я
    + ''.join(map(chr, (0x401, 0x451)))  # Ё ё
    + '«»„“”‘’–—−…№₽·°×'
)


#: the font's name in the document stands in its dictionary as '\0', which PDFName escapes unlike any other name
_NUL_NAME = PDFName('\0').encode()


class _SharedSubsetFont(TTFont):
    """A TTFont whose documents share one subset, ALPHABET, so its PDF objects are built once per process.

    reportlab subsets the font for each document anew, and cutting, compressing and formatting that subset (the font
    file, its widths, its ToUnicode map) was two thirds of a bill's time. Here every document's subset starts as
    ALPHABET; a document that stays within it gets the objects built for it once, as bytes, and a document that
    needs another character (a rare letter in a name) gets reportlab's own subset for that document.
    """

    def __init__(self, name: str, file: io.BytesIO) -> None:
        super().__init__(name, file)
        # reportlab itself builds the shared objects, in a document of their own that only they are taken from
        doc = PDFDocument(compression=1, invariant=1)
        super().splitString(ALPHABET, doc)
        self._alphabet = _copy_state(self.state[doc])
        internal_name = self.getSubsetInternalName(0, doc)[1:]
        super().addObjects(doc)
        font = doc.idToObject[internal_name]
        self._descriptor_id = font.FontDescriptor.name
        descriptor = doc.idToObject[self._descriptor_id]
        # the streams refer to no other object: as bytes they fit any document (none is encrypted)
        self._streams = {
            ref.name: doc.idToObject[ref.name].format(doc) for ref in (font.ToUnicode, descriptor['FontFile2'])
        }
        # the dictionaries are formatted with a marker for each reference to another object, as those are numbered
        # per document, and for the font's name in the document
        self._references = {
            b'\0ToUnicode\0': font.ToUnicode,
            b'\0FontFile2\0': descriptor['FontFile2'],
            b'\0FontDescriptor\0': font.FontDescriptor,
        }
        font.ToUnicode, descriptor['FontFile2'], font.FontDescriptor = self._references
        font.Name = '\0'
        self._descriptor = descriptor.format(doc)
        self._font = font.format(doc)

    def splitString(self, text: str, doc: PDFDocument, encoding: str = 'utf-8') -> list[tuple[int, bytes]]:
        # reportlab starts a document's state here, before anything else of the document touches the font; a copy
        # of ALPHABET's state rather than splitting ALPHABET again, which would take a tenth of a bill's time
        if doc not in self.state:
            self.state[doc] = _copy_state(self._alphabet)
        return super().splitString(text, doc, encoding)

    def addObjects(self, doc: PDFDocument) -> None:
        # reportlab's cuts, compresses and formats the document's subset; the shared one is put in as it is
        if self.state[doc].subsets != self._alphabet.subsets:
            super().addObjects(doc)
            return
        # in reportlab's order, so the objects are numbered as reportlab numbers them
        for name, stream in self._streams.items():
            doc.Reference(stream, name)
        doc.Reference(_Formatted(self._descriptor, self._references), self._descriptor_id)
        internal_name = self.getSubsetInternalName(0, doc)[1:]
        font = _Formatted(self._font.replace(_NUL_NAME, PDFName(internal_name).encode()), self._references)
        doc.idToObject['BasicFonts'].dict[internal_name] = doc.Reference(font, internal_name)
        # as reportlab's addObjects: the document is done with the font
        del self.state[doc]


class _Formatted(PDFObject):
    """An object formatted once for every document, but for the references to other objects its markers stand for."""

    def __init__(self, data: bytes, references: dict[bytes, PDFObjectReference]) -> None:
        self.data = data
        self.references = references

    def format(self, doc: PDFDocument) -> bytes:
        data = self.data
        for marker, reference in self.references.items():
            data = data.replace(marker, reference.format(doc))
        return data


def _copy_state(state: TTFont.State) -> TTFont.State:
    """A font's state for another document: the character assignments are the containers splitString adds to."""
    copied = copy.copy(state)
    copied.assignments = dict(state.assignments)
    copied.subsets = [list(subset) for subset in state.subsets]
    return copied


_fonts_lock = threading.Lock()


def _register_fonts() -> None:
    # ~0.3 s, so once per process (reportlab's font registry is process-wide); the lock because renders may run in
    # worker threads, and a font re-registered mid-document would break that document
    with _fonts_lock:
        if REGULAR in pdfmetrics.getRegisteredFontNames():
            return
        pdfmetrics.registerFont(_SharedSubsetFont(BOLD, _slim(FONTS / 'PT_Sans-Web-Bold.ttf')))
        pdfmetrics.registerFont(_SharedSubsetFont(REGULAR, _slim(FONTS / 'PT_Sans-Web-Regular.ttf')))


def render_bill(
    *,
    brand: str,
    account_number: str,
    holder: str,
    address: str,
    region: str,
    period: str,
    lines: list[tuple[str, Decimal, Decimal, Decimal]],
    amount_due: Decimal,
    due_date: date,
) -> bytes:
    """One bill on A4: header, payer, a table of (service, kWh, tariff, sum) lines, the amount due and its date."""
    # the bill is a Russian legal document whatever language the customer reads the portal in
    with in_language('ru'):
        _register_fonts()
        buffer = io.BytesIO()
        # invariant: no timestamp or random id, so the same bill gives the same bytes (tests, email deduplication)
        pdf = Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1, initialFontName=REGULAR)
        title = t('bill.title')
        pdf.setTitle(f'{title} — {period_label(period)}')
        pdf.setAuthor(brand)
        pen = _Pen(pdf)

        pen.text(brand, BOLD, 12)
        pen.skip(4 * mm)
        pen.text(title, BOLD, 16)
        pen.text(t('bill.period', period=period_label(period)), REGULAR, 12)
        pen.skip(4 * mm)
        pen.text(t('bill.account', number=account_number), BOLD, 11)
        pen.text(t('bill.holder', holder=holder), REGULAR, 11)
        pen.text(t('bill.address', address=address), REGULAR, 11)
        pen.text(t('bill.region', region=region), REGULAR, 11)
        pen.skip(6 * mm)

        headings = (t('bill.col.kwh'), t('bill.col.tariff'), t('bill.col.amount'))
        pen.row(t('bill.col.service'), headings, BOLD, shade=True)
        for service, kwh, tariff, amount in lines:
            pen.row(service, (format_number(kwh, 3, 0), format_number(tariff, 4, 2), format_money(amount)), REGULAR)
        pen.skip(2 * mm)
        pen.row(t('bill.total'), ('', '', format_money(amount_due)), BOLD, size=12)
        pen.skip(4 * mm)
        pen.text(t('bill.due', date=format_date(due_date)), BOLD, 12)

        pdf.showPage()
        pdf.save()
        return buffer.getvalue()


class _Pen:
    """Writes top to bottom on the canvas, starting a new page when the next block would not fit."""

    def __init__(self, pdf: Canvas) -> None:
        self.pdf = pdf
        self.y = PAGE_HEIGHT - MARGIN

    def skip(self, height: float) -> None:
        self.y -= height

    def _room(self, height: float) -> None:
        if self.y - height < MARGIN:
            self.pdf.showPage()
            self.y = PAGE_HEIGHT - MARGIN

    def text(self, text: str, font: str, size: float) -> None:
        """A paragraph across the page, wrapped at word boundaries (a long address, a long utility name)."""
        for part in simpleSplit(text, font, size, CONTENT_WIDTH):
            self._room(size * 1.4)
            self.y -= size * 1.4
            # after _room: a new page starts with the canvas's initial font
            self.pdf.setFont(font, size)
            self.pdf.drawString(MARGIN, self.y, part)

    def row(self, label: str, cells: tuple[str, str, str], font: str, size: float = 10, *, shade: bool = False) -> None:
        """A table row: the label wraps in the first column, the numbers sit right-aligned in the others."""
        parts = simpleSplit(label, font, size, SERVICE_WIDTH - 2 * CELL_PAD) or ['']
        leading = size * 1.3
        height = len(parts) * leading + 2 * CELL_PAD
        self._room(height)
        top, self.y = self.y, self.y - height
        pdf = self.pdf
        if shade:
            pdf.setFillGray(0.9)
            pdf.rect(MARGIN, self.y, CONTENT_WIDTH, height, stroke=0, fill=1)
            pdf.setFillGray(0)
        pdf.setLineWidth(0.5)
        pdf.line(MARGIN, self.y, MARGIN + CONTENT_WIDTH, self.y)
        pdf.setFont(font, size)
        baseline = top - CELL_PAD - size
        for index, part in enumerate(parts):
            pdf.drawString(MARGIN + CELL_PAD, baseline - index * leading, part)
        for right, cell in zip(COLUMN_RIGHTS, cells, strict=True):
            pdf.drawRightString(right - CELL_PAD, baseline, cell)
