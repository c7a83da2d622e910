"""Meters and their readings (docs/product.md, flow 8): the registers billing knows, what customers, billing and smart
meters read from them, and the tariffs that turn consumption into roubles."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class Meter(Model):
    """A meter of a personal account as billing has it: a replaced meter gets `removed` and keeps its history."""

    id = fields.IntField(primary_key=True)
    account = fields.ForeignKeyField('models.Account', related_name='meters', on_delete=fields.CASCADE)
    serial = fields.CharField(max_length=64)
    #: tariff zones: 1 (сутки), 2 (T1 день, T2 ночь) or 3 (T1 пик, T2 ночь, T3 полупик)
    zones = fields.SmallIntField()
    #: the register: integer and fractional digits (a value wraps to 0 at 10**digits)
    digits = fields.SmallIntField()
    decimals = fields.SmallIntField(default=0)
    #: current transformer ratio: consumption is the register's difference times this
    ratio = fields.IntField(default=1)
    installed = fields.DateField(null=True)
    #: «дата поверки»: after it the meter's readings are not accepted until it is verified again
    verify_by = fields.DateField(null=True)
    #: ИСУ: read remotely, closed to manual submission
    smart = fields.BooleanField(default=False)
    removed = fields.DateField(null=True)

    class Meta:
        table = 'meter'
        unique_together = (('account', 'serial'),)


class ReadingSource(StrEnum):
    CUSTOMER = 'customer'
    BILLING = 'billing'
    SMART = 'smart'
    #: billing's estimate for a month without a reading: shown as such, never as a reading
    CALCULATED = 'calculated'


class ReadingStatus(StrEnum):
    #: a customer's reading not yet sent to billing
    SUBMITTED = 'submitted'
    EXPORTED = 'exported'
    ACCEPTED = 'accepted'
    REJECTED = 'rejected'


class Reading(Model):
    """The register's value per zone on a date, and for customer readings who sent them and how far billing got."""

    id = fields.BigIntField(primary_key=True)
    meter = fields.ForeignKeyField('models.Meter', related_name='readings', on_delete=fields.CASCADE)
    date = fields.DateField()
    t1 = fields.DecimalField(max_digits=16, decimal_places=4)
    t2 = fields.DecimalField(max_digits=16, decimal_places=4, null=True)
    t3 = fields.DecimalField(max_digits=16, decimal_places=4, null=True)
    source = fields.CharEnumField(ReadingSource, max_length=10)
    status = fields.CharEnumField(ReadingStatus, max_length=9)
    #: billing's reason when it rejected the reading, shown to the customer
    reason = fields.TextField(default='')
    #: customer readings: who sent it, when and how
    cabinet = fields.ForeignKeyField('models.Cabinet', related_name='readings', null=True, on_delete=fields.SET_NULL)
    submitted_at = fields.DatetimeField(null=True)
    channel = fields.CharField(max_length=16, default='')
    #: a later submission in the same window replaced this one: history keeps it, the export does not send it
    superseded = fields.BooleanField(default=False)
    export = fields.ForeignKeyField(
        'models.ReadingExport', related_name='readings', null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = 'reading'
        indexes = (('meter_id', 'date'),)


class ReadingExport(Model):
    """One run of `readings-export` for a period: the id that makes the export resumable and idempotent."""

    id = fields.IntField(primary_key=True)
    #: YYYY-MM
    period = fields.CharField(max_length=7, db_index=True)
    started_at = fields.DatetimeField()
    finished_at = fields.DatetimeField(null=True)
    rows = fields.IntField(default=0)

    class Meta:
        table = 'reading_export'


class Tariff(Model):
    """The price of a kWh in a region's zone from a date, and above `band_kwh` a month the band price."""

    id = fields.IntField(primary_key=True)
    region = fields.ForeignKeyField('models.Region', related_name='tariffs', on_delete=fields.CASCADE)
    zone = fields.SmallIntField()
    price = fields.DecimalField(max_digits=10, decimal_places=4)
    valid_from = fields.DateField()
    band_kwh = fields.DecimalField(max_digits=12, decimal_places=3, null=True)
    band_price = fields.DecimalField(max_digits=10, decimal_places=4, null=True)

    class Meta:
        table = 'tariff'
        unique_together = (('region', 'zone', 'valid_from'),)


class ReadingNotice(Model):
    """What one cabinet wants to hear about the readings of one linked account (docs/product.md, flow 8): reminders
    of the submission window and the confirmation after a submission, each by email and by SMS."""

    id = fields.IntField(primary_key=True)
    cabinet = fields.ForeignKeyField('models.Cabinet', related_name='reading_notices', on_delete=fields.CASCADE)
    account = fields.ForeignKeyField('models.Account', related_name='reading_notices', on_delete=fields.CASCADE)
    #: the day the window opens and two days before it closes
    remind_email = fields.BooleanField(default=False)
    remind_sms = fields.BooleanField(default=False)
    #: «Показания приняты» after each submission by this cabinet
    confirm_email = fields.BooleanField(default=False)
    confirm_sms = fields.BooleanField(default=False)
    #: the consent text version shown when a channel was last turned on, when and from where
    consent_version = fields.CharField(max_length=32, null=True)
    consent_at = fields.DatetimeField(null=True)
    consent_ip = fields.CharField(max_length=45, null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = 'reading_notice'
        unique_together = (('cabinet', 'account'),)


class ReadingReminder(Model):
    """A reminder queued for a cabinet and an account in one window (the day it opens) of one kind: the unique key
    is what makes every reminder go out once, whatever runs the job and however often."""

    id = fields.BigIntField(primary_key=True)
    cabinet = fields.ForeignKeyField('models.Cabinet', related_name='reading_reminders', on_delete=fields.CASCADE)
    account = fields.ForeignKeyField('models.Account', related_name='reading_reminders', on_delete=fields.CASCADE)
    window_opens = fields.DateField()
    #: opens (the first day of the window) or closes (two days before its last)
    kind = fields.CharField(max_length=8)
    created_at = fields.DatetimeField()

    class Meta:
        table = 'reading_reminder'
        unique_together = (('cabinet', 'account', 'window_opens', 'kind'),)
