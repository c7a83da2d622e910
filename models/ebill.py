"""E-bill: the monthly bill by email, per personal account, and each bill's delivery."""

from tortoise import fields
from tortoise.models import Model


class EBill(Model):
    """«Подключение получения квитанции на электронную почту» of one personal account."""

    id = fields.IntField(primary_key=True)
    account = fields.ForeignKeyField('models.Account', related_name='ebill', unique=True)
    # another holder may take it over (services/billing/ebill.py); the description below is the schema's (0003)
    #: the cabinet that manages it (any cabinet holding the account may)
    cabinet = fields.ForeignKeyField('models.Cabinet', related_name='ebills', on_delete=fields.CASCADE)
    email = fields.CharField(max_length=254, db_index=True)
    enabled = fields.BooleanField(default=False)
    #: the delivery address proved by a link, or it is the confirmed email of the cabinet
    email_confirmed_at = fields.DatetimeField(null=True)
    consent_version = fields.CharField(max_length=32, null=True)
    consent_at = fields.DatetimeField(null=True)
    consent_ip = fields.CharField(max_length=45, null=True)
    #: consecutive permanent rejections of the address (5xx), 3 turn e-bill off
    bounces = fields.SmallIntField(default=0)
    last_bounce = fields.TextField(default='')
    updated_at = fields.DatetimeField()

    class Meta:
        table = 'ebill'


class BillDelivery(Model):
    """One bill sent (or being sent) by email: at most one per bill, so a dispatch never sends a bill twice."""

    id = fields.IntField(primary_key=True)
    bill = fields.ForeignKeyField('models.Bill', related_name='deliveries', unique=True)
    ebill = fields.ForeignKeyField('models.EBill', related_name='deliveries', on_delete=fields.CASCADE)
    email = fields.CharField(max_length=254)
    # where the bill is (sent, failed) is the state of this message
    message = fields.ForeignKeyField('models.OutboxMessage', related_name='deliveries', null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = 'bill_delivery'


class BillRun(Model):
    """The server's monthly dispatch of one period, claimed by one process and recorded when done.

    services/billing/runs.py: the unique period is the claim, so one process of several runs it, and its end is
    recorded, so a restart or a late start runs it no more."""

    id = fields.IntField(primary_key=True)
    #: YYYY-MM, the bills' month
    period = fields.CharField(max_length=7, unique=True)
    #: the process that runs it, whose claim lapses at claimed_until unless renewed (a killed process is taken over)
    owner = fields.CharField(max_length=32)
    claimed_until = fields.DatetimeField()
    started_at = fields.DatetimeField()
    finished_at = fields.DatetimeField(null=True)
    #: bills the finished run queued (0: an earlier run or `send-bills` had queued them)
    queued = fields.IntField(null=True)

    class Meta:
        table = 'bill_run'
