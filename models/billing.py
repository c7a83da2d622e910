"""Billing data imported from the utility's billing system; customers never type it in."""

from tortoise import fields
from tortoise.models import Model


class Region(Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=200)
    #: the readings submission window, days of the month (both empty: PORTAL_READINGS_WINDOW)
    readings_from = fields.SmallIntField(null=True)
    readings_to = fields.SmallIntField(null=True)

    class Meta:
        table = 'region'


class Account(Model):
    """A personal account (лицевой счёт) exactly as the billing system has it."""

    id = fields.IntField(primary_key=True)
    number = fields.CharField(max_length=32, unique=True)
    region: fields.ForeignKeyRelation[Region] = fields.ForeignKeyField('models.Region', related_name='accounts')
    surname = fields.CharField(max_length=200)
    #: as printed on the bill, with postal index
    address = fields.TextField()
    email = fields.CharField(max_length=254, null=True)

    class Meta:
        table = 'account'


class Payment(Model):
    id = fields.BigIntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField('models.Account', related_name='payments')
    date = fields.DateField()
    amount = fields.DecimalField(max_digits=12, decimal_places=2)
    #: 1..n among payments with the same account, date and amount, so re-imports stay idempotent
    seq = fields.SmallIntField(default=1)

    class Meta:
        table = 'payment'
        unique_together = (('account', 'date', 'amount', 'seq'),)
        indexes = (('account_id', 'date'),)


class Bill(Model):
    """A payment document (платёжный документ) of one account for one month."""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField('models.Account', related_name='bills')
    #: YYYY-MM
    period = fields.CharField(max_length=7)
    amount_due = fields.DecimalField(max_digits=12, decimal_places=2)
    due_date = fields.DateField()

    class Meta:
        table = 'bill'
        unique_together = (('account', 'period'),)


class BillLine(Model):
    id = fields.IntField(primary_key=True)
    bill: fields.ForeignKeyRelation[Bill] = fields.ForeignKeyField('models.Bill', related_name='lines')
    position = fields.SmallIntField()
    service = fields.CharField(max_length=200)
    kwh = fields.DecimalField(max_digits=12, decimal_places=3)
    tariff = fields.DecimalField(max_digits=10, decimal_places=4)
    amount = fields.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        table = 'bill_line'
        unique_together = (('bill', 'position'),)
