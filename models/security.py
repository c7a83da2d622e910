"""One-time codes, link tokens, rate-limit events and the audit log."""

from tortoise import fields
from tortoise.models import Model


class OneTimeCode(Model):
    """A 6-digit code sent by SMS, bound to a purpose and to the request that asked for it."""

    id = fields.UUIDField(primary_key=True)
    purpose = fields.CharField(max_length=32)
    phone = fields.CharField(max_length=20)
    cabinet = fields.ForeignKeyField('models.Cabinet', related_name='codes', null=True, on_delete=fields.CASCADE)
    #: SHA-256 of request id + code: the code itself is never stored
    code_hash = fields.CharField(max_length=64)
    created_at = fields.DatetimeField()
    sent_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    resends = fields.SmallIntField(default=0)
    failures = fields.SmallIntField(default=0)
    verified_at = fields.DatetimeField(null=True)
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = 'one_time_code'


class LinkToken(Model):
    """A single-use link sent by email: the link carries the token, we keep its SHA-256."""

    id = fields.IntField(primary_key=True)
    purpose = fields.CharField(max_length=32)
    token_hash = fields.CharField(max_length=64, unique=True)
    cabinet = fields.ForeignKeyField('models.Cabinet', related_name='tokens', on_delete=fields.CASCADE)
    email = fields.CharField(max_length=254)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = 'link_token'


class RateEvent(Model):
    """One counted attempt under a rate-limit key: kept in the database so several processes share limits."""

    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=200)
    at = fields.DatetimeField()

    class Meta:
        table = 'rate_event'
        indexes = (('key', 'at'),)


class AuditEvent(Model):
    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField(db_index=True)
    #: registration, confirmation, login_success, login_failure, lockout, reset_request, reset_done, consent, …
    event = fields.CharField(max_length=40)
    cabinet_id = fields.IntField(null=True)
    login = fields.CharField(max_length=64, null=True)
    ip = fields.CharField(max_length=45, null=True)
    detail = fields.JSONField(default=dict)
    #: the staff member who acted (None: the customer or the system)
    staff_id = fields.IntField(null=True, db_index=True)

    class Meta:
        table = 'audit_event'
