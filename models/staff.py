"""The utility's own staff: accounts apart from customers, their second factor, recovery codes and sessions."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class StaffRole(StrEnum):
    """What a staff member may do: each role may do everything the one before it may (services/staff/roles.py)."""

    VIEWER = 'viewer'
    OPERATOR = 'operator'
    ADMIN = 'admin'


class Staff(Model):
    """A staff member. Created by `staff add` or an admin with an enrolment link, usable once enrolled (password and
    TOTP set), never a customer cabinet."""

    id = fields.IntField(primary_key=True)
    login = fields.CharField(max_length=64, unique=True)
    role = fields.CharEnumField(StaffRole, description='viewer, operator or admin')
    created_at = fields.DatetimeField()
    #: SHA-256 of the one-time enrolment link's token, cleared when used
    enrol_token_hash = fields.CharField(max_length=64, null=True, unique=True)
    enrol_expires_at = fields.DatetimeField(null=True)
    enrolled_at = fields.DatetimeField(null=True)
    password_hash = fields.CharField(max_length=255, null=True)
    #: base32 TOTP secret (RFC 6238), and the time step of the last code accepted, so a code is never taken twice
    totp_secret = fields.CharField(max_length=64, null=True)
    totp_last_step = fields.BigIntField(null=True)
    failures = fields.SmallIntField(default=0)
    locked_until = fields.DatetimeField(null=True)
    disabled_at = fields.DatetimeField(null=True)
    last_login_at = fields.DatetimeField(null=True)

    class Meta:
        table = 'staff'


class StaffRecoveryCode(Model):
    """A one-time recovery code shown once at enrolment, kept as its SHA-256."""

    id = fields.IntField(primary_key=True)
    staff: fields.ForeignKeyRelation[Staff] = fields.ForeignKeyField(
        'models.Staff', related_name='recovery_codes', on_delete=fields.CASCADE
    )
    code_hash = fields.CharField(max_length=64)
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = 'staff_recovery_code'


class StaffSession(Model):
    """A staff login: the browser keeps the token, the table its SHA-256. Idle and absolute limits apply."""

    id = fields.CharField(max_length=64, primary_key=True)
    staff: fields.ForeignKeyRelation[Staff] = fields.ForeignKeyField(
        'models.Staff', related_name='sessions', on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField()
    last_seen_at = fields.DatetimeField()
    ended_at = fields.DatetimeField(null=True)
    ip = fields.CharField(max_length=45, null=True)

    class Meta:
        table = 'staff_session'
