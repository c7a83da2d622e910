"""The bill as a PDF: Cyrillic as real, selectable text (read back with pypdf), for linked accounts only."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pypdf
import pytest
from fontTools.ttLib import TTFont as FontFile
from reportlab.pdfbase.ttfonts import TTFont

from services.accounts.overview import bill_pdf, format_money
from services.billing.bill_pdf import FONTS, _SharedSubsetFont, _slim, render_bill
from services.billing.imports import import_files
from services.errors import InvalidInput, NotAllowed
from tests.support.billing import pdf_text, write_billing_files
from tests.support.factories import make_cabinet

BILL = {
    'brand': 'ТестЭнергоСбыт',
    'account_number': '461000000001',
    'holder': 'Семёнов',
    'address': '305000, г. Курск, ул. Ленина, д. 5, кв. 12',
    'region': 'Курск',
    'period': '2026-10',
    'lines': [
        ('Электроэнергия (день)', Decimal('230.000'), Decimal('6.1200'), Decimal('1407.60')),
        ('Электроэнергия (ночь)', Decimal('101.500'), Decimal('3.4500'), Decimal('350.18')),
    ],
    'amount_due': Decimal('1757.78'),
    'due_date': date(2026, 11, 10),
}


def money(value: str) -> str:
    return format_money(Decimal(value)).replace('\u00a0', ' ')


def test_bill_carries_every_field_as_text():
    pdf = render_bill(**BILL)

    assert pdf.startswith(b'%PDF-')
    lines = pdf_text(pdf).splitlines()
    for expected in [
        'ТестЭнергоСбыт',
        'Счёт на оплату (платёжный документ)',
        'Расчётный период: Октябрь 2026',
        'Лицевой счёт № 461000000001',
        'Плательщик: Семёнов',
        'Адрес: 305000, г. Курск, ул. Ленина, д. 5, кв. 12',
        'Регион: Курск',
        'Услуга',
        'кВт·ч',
        'Тариф, руб./кВт·ч',
        'Сумма',
        'Электроэнергия (день)',
        'Электроэнергия (ночь)',
        'Итого к оплате',
        money('1757.78'),
        'Оплатить до 10.11.2026',
    ]:
        assert expected in lines
    # each line's numbers: kWh without trailing zeros, the tariff with at least kopecks, the sum in roubles
    assert lines[lines.index('Электроэнергия (день)') + 1 :][:3] == ['230', '6,12', money('1407.60')]
    assert lines[lines.index('Электроэнергия (ночь)') + 1 :][:3] == ['101,5', '3,45', money('350.18')]


def test_cyrillic_is_embedded_pt_sans_not_a_system_font():
    reader = pypdf.PdfReader(io.BytesIO(render_bill(**BILL)))

    fonts = {font.get_object()['/BaseFont'] for font in reader.pages[0]['/Resources']['/Font'].values()}
    assert {name.split('+')[1] for name in fonts} == {'PTSans-Regular', 'PTSans-Bold'}
    for font in reader.pages[0]['/Resources']['/Font'].values():
        assert '/FontFile2' in font.get_object()['/FontDescriptor']


def test_the_same_bill_gives_the_same_bytes():
    # no timestamp or random document id: a re-sent e-bill is byte-identical
    assert render_bill(**BILL) == render_bill(**BILL)


def test_the_fonts_are_the_same_bytes_in_every_process():
    # fontTools stamps a font it saves with the time unless told not to, and the slimmed font is embedded in the bill
    path = FONTS / 'PT_Sans-Web-Regular.ttf'

    assert FontFile(_slim(path))['head'].modified == FontFile(path)['head'].modified


def test_the_shared_font_objects_are_the_ones_reportlab_builds(monkeypatch):
    # built once per process and put into each bill as bytes: they must be what reportlab writes for that subset
    shared = render_bill(**BILL)

    monkeypatch.setattr(_SharedSubsetFont, 'addObjects', TTFont.addObjects)

    assert render_bill(**BILL) == shared


def test_a_letter_outside_the_shared_subset_is_embedded_for_that_bill():
    usual = render_bill(**BILL)

    pdf = render_bill(**{**BILL, 'holder': 'Ѣдвард Müller'})

    assert 'Плательщик: Ѣдвард Müller' in pdf_text(pdf).splitlines()
    # and the next bill is back to the shared subset
    assert render_bill(**BILL) == usual


def test_a_long_bill_flows_onto_more_pages_with_every_line():
    services = [f'Услуга № {number}: перерасчёт за прошлый период по показаниям прибора учёта' for number in range(60)]
    lines = [(service, Decimal('1'), Decimal('2'), Decimal('2')) for service in services]

    pdf = render_bill(**{**BILL, 'lines': lines, 'amount_due': Decimal('1234567.5')})

    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) > 1
    text = pdf_text(pdf)
    # long names wrap inside their column
    assert all(f'Услуга № {number}:' in text for number in range(60))
    assert text.count('перерасчёт') == 60
    assert money('1234567.5') in text
    assert text.rstrip().endswith('Оплатить до 10.11.2026')


async def test_linked_account_downloads_its_bill(db, fake_clock, tmp_path):
    await import_files(list(write_billing_files(tmp_path).values()))
    cabinet = await make_cabinet('semenov', accounts=['461000000001'])

    filename, pdf = await bill_pdf(cabinet.id, '461000000001', '2026-09')

    assert filename == 'schet-461000000001-2026-09.pdf'
    lines = pdf_text(pdf).splitlines()
    for expected in [
        'ТестЭнергоСбыт',  # PORTAL_BRAND_NAME of the test settings
        'Лицевой счёт № 461000000001',
        'Плательщик: Семёнов',
        'Адрес: 305000, г. Курск, ул. Ленина, д. 5, кв. 12',
        'Регион: Курск',
        'Расчётный период: Сентябрь 2026',
        'Электроэнергия (день)',
        'Электроэнергия (ночь)',
        money('1614.68'),
        'Оплатить до 10.10.2026',
    ]:
        assert expected in lines
    assert lines[lines.index('Электроэнергия (ночь)') + 1 :][:3] == ['95,5', '3,45', money('329.48')]


async def test_no_bill_for_that_period(db, fake_clock, tmp_path):
    await import_files(list(write_billing_files(tmp_path).values()))
    cabinet = await make_cabinet('ivanova', accounts=['461000000002'])

    # 461000000001 has a bill for 2026-10, this account has none; nor is '../x' a period
    for period in ['2026-10', '2026-11', '../x']:
        with pytest.raises(InvalidInput) as refused:
            await bill_pdf(cabinet.id, '461000000002', period)
        assert refused.value.errors == {'period': 'Платёжного документа за этот период нет.'}


async def test_someone_elses_bill_is_refused(db, fake_clock, tmp_path):
    await import_files(list(write_billing_files(tmp_path).values()))
    cabinet = await make_cabinet('ivanova', accounts=['461000000002'])
    await make_cabinet('semenov', accounts=['461000000001'])

    for number in ['461000000001', '691000000001']:
        with pytest.raises(NotAllowed) as refused:
            await bill_pdf(cabinet.id, number, '2026-10')
        assert refused.value.message == 'Этот лицевой счёт не привязан к вашему личному кабинету.'
