from tortoise import migrations
from tortoise.migrations import operations as ops
from models.staff import StaffRole
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    """Staff accounts for the operator console (TOTP, recovery codes, sessions); the audit log names the staff member
    who acted."""

    dependencies = [('models', '0010_bill_run')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Staff',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('login', fields.CharField(unique=True, max_length=64)),
                ('role', fields.CharEnumField(description='viewer, operator or admin', enum_type=StaffRole, max_length=8)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('enrol_token_hash', fields.CharField(null=True, unique=True, description="SHA-256 of the one-time enrolment link's token, cleared when used", max_length=64)),
                ('enrol_expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('enrolled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('password_hash', fields.CharField(null=True, max_length=255)),
                ('totp_secret', fields.CharField(null=True, description='base32 TOTP secret (RFC 6238), and the time step of the last code accepted, so a code is never taken twice', max_length=64)),
                ('totp_last_step', fields.BigIntField(null=True)),
                ('failures', fields.SmallIntField(default=0)),
                ('locked_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('disabled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_login_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'staff', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A staff member. Created by `staff add` or an admin with an enrolment link, usable once enrolled (password and'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StaffRecoveryCode',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('staff', fields.ForeignKeyField('models.Staff', source_field='staff_id', db_constraint=True, to_field='id', related_name='recovery_codes', on_delete=OnDelete.CASCADE)),
                ('code_hash', fields.CharField(max_length=64)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'staff_recovery_code', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A one-time recovery code shown once at enrolment, kept as its SHA-256.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StaffSession',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('staff', fields.ForeignKeyField('models.Staff', source_field='staff_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_seen_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('ip', fields.CharField(null=True, max_length=45)),
            ],
            options={'table': 'staff_session', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A staff login: the browser keeps the token, the table its SHA-256. Idle and absolute limits apply.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='AuditEvent',
            name='staff_id',
            field=fields.IntField(null=True, db_index=True, description='the staff member who acted (None: the customer or the system)'),
        ),
    ]
