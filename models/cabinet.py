"""Cabinets (the customers' log-ins), their links to personal accounts, sessions and consents."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class CabinetState(StrEnum):
    PENDING = 'pending'
    ACTIVE = 'active'
    LOCKED = 'locked'


class Cabinet(Model):
    id = fields.IntField(primary_key=True)
    login = fields.CharField(max_length=64)
    #: case-folded login: logins are unique case-insensitively
    login_key = fields.CharField(max_length=64, unique=True)
    password_hash = fields.CharField(max_length=255)
    email = fields.CharField(max_length=254, null=True, db_index=True)
    email_confirmed_at = fields.DatetimeField(null=True)
    #: E.164
    phone = fields.CharField(max_length=20, null=True)
    phone_confirmed_at = fields.DatetimeField(null=True)
    surname = fields.CharField(max_length=200, null=True)
    state = fields.CharEnumField(CabinetState, default=CabinetState.PENDING)
    #: a pending registration is dropped after this moment (its confirmation link expired)
    pending_until = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    password_changed_at = fields.DatetimeField()
    #: ru or en: the language the customer last chose, for mail and SMS sent without them (empty: never chose)
    language = fields.CharField(max_length=8, null=True)

    class Meta:
        table = 'cabinet'


class Link(Model):
    """Cabinet ↔ personal account, with how it was proven."""

    id = fields.IntField(primary_key=True)
    cabinet: fields.ForeignKeyRelation[Cabinet] = fields.ForeignKeyField(
        'models.Cabinet', related_name='links', on_delete=fields.CASCADE
    )
    account = fields.ForeignKeyField('models.Account', related_name='links')
    #: first_entry | payment | address
    proof = fields.CharField(max_length=16)
    linked_at = fields.DatetimeField()

    class Meta:
        table = 'link'
        unique_together = (('cabinet', 'account'),)


class Session(Model):
    """Our own server-side session: the browser holds the token, we keep only its SHA-256."""

    id = fields.CharField(max_length=64, primary_key=True)
    cabinet: fields.ForeignKeyRelation[Cabinet] = fields.ForeignKeyField(
        'models.Cabinet', related_name='sessions', on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField()
    last_seen_at = fields.DatetimeField()
    #: when the customer last typed the password in this session (email, phone, password changes ask again)
    password_checked_at = fields.DatetimeField(null=True)
    ip = fields.CharField(max_length=45, null=True)

    class Meta:
        table = 'session'


class Consent(Model):
    """A consent the customer gave (personal data processing, e-bill), with the text version they saw."""

    id = fields.IntField(primary_key=True)
    cabinet: fields.ForeignKeyRelation[Cabinet] = fields.ForeignKeyField(
        'models.Cabinet', related_name='consents', on_delete=fields.CASCADE
    )
    kind = fields.CharField(max_length=32)
    text_version = fields.CharField(max_length=32)
    given_at = fields.DatetimeField()
    ip = fields.CharField(max_length=45, null=True)

    class Meta:
        table = 'consent'
