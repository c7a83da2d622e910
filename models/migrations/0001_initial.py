from tortoise import migrations
from tortoise.migrations import operations as ops
from models.cabinet import CabinetState
from models.outbox import OutboxState
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='AuditEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('event', fields.CharField(description='registration, confirmation, login_success, login_failure, lockout, reset_request, reset_done, consent, …', max_length=40)),
                ('cabinet_id', fields.IntField(null=True)),
                ('login', fields.CharField(null=True, max_length=64)),
                ('ip', fields.CharField(null=True, max_length=45)),
                ('detail', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
            ],
            options={'table': 'audit_event', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Cabinet',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('login', fields.CharField(max_length=64)),
                ('login_key', fields.CharField(unique=True, description='case-folded login: logins are unique case-insensitively', max_length=64)),
                ('password_hash', fields.CharField(max_length=255)),
                ('email', fields.CharField(null=True, db_index=True, max_length=254)),
                ('email_confirmed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('phone', fields.CharField(null=True, description='E.164', max_length=20)),
                ('phone_confirmed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('surname', fields.CharField(null=True, max_length=200)),
                ('state', fields.CharEnumField(default=CabinetState.PENDING, description='PENDING: pending\nACTIVE: active\nLOCKED: locked', enum_type=CabinetState, max_length=7)),
                ('pending_until', fields.DatetimeField(null=True, description='a pending registration is dropped after this moment (its confirmation link expired)', auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('password_changed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'cabinet', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Consent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('cabinet', fields.ForeignKeyField('models.Cabinet', source_field='cabinet_id', db_constraint=True, to_field='id', related_name='consents', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=32)),
                ('text_version', fields.CharField(max_length=32)),
                ('given_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ip', fields.CharField(null=True, max_length=45)),
            ],
            options={'table': 'consent', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A consent the customer gave (personal data processing, e-bill), with the text version they saw.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LinkToken',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('purpose', fields.CharField(max_length=32)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('cabinet', fields.ForeignKeyField('models.Cabinet', source_field='cabinet_id', db_constraint=True, to_field='id', related_name='tokens', on_delete=OnDelete.CASCADE)),
                ('email', fields.CharField(max_length=254)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'link_token', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A single-use link sent by email: the link carries the token, we keep its SHA-256.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OneTimeCode',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('purpose', fields.CharField(max_length=32)),
                ('phone', fields.CharField(max_length=20)),
                ('cabinet', fields.ForeignKeyField('models.Cabinet', source_field='cabinet_id', null=True, db_constraint=True, to_field='id', related_name='codes', on_delete=OnDelete.CASCADE)),
                ('code_hash', fields.CharField(description='SHA-256 of request id + code: the code itself is never stored', max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('sent_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('resends', fields.SmallIntField(default=0)),
                ('failures', fields.SmallIntField(default=0)),
                ('verified_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'one_time_code', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A 6-digit code sent by SMS, bound to a purpose and to the request that asked for it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OutboxMessage',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('channel', fields.CharField(description='email | sms', max_length=8)),
                ('recipient', fields.CharField(max_length=254)),
                ('subject', fields.CharField(default='', max_length=300)),
                ('body_text', fields.TextField(unique=False)),
                ('body_html', fields.TextField(default='', unique=False)),
                ('sensitive', fields.BooleanField(default=False, description='codes and links are blanked once delivered (kept in demo mode for the demo mailbox)')),
                ('state', fields.CharEnumField(default=OutboxState.PENDING, description='PENDING: pending\nSENDING: sending\nSENT: sent\nFAILED: failed', enum_type=OutboxState, max_length=7)),
                ('attempts', fields.SmallIntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('lease_until', fields.DatetimeField(null=True, description='a worker owns a SENDING message until then: past it, the message is taken back', auto_now=False, auto_now_add=False)),
                ('last_error', fields.TextField(default='', unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'outbox_message', 'app': 'models', 'indexes': [Index(fields=['state', 'next_attempt_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RateEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(max_length=200)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'rate_event', 'app': 'models', 'indexes': [Index(fields=['key', 'at'])], 'pk_attr': 'id', 'table_description': 'One counted attempt under a rate-limit key: kept in the database so several processes share limits.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Region',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=32)),
                ('name', fields.CharField(max_length=200)),
            ],
            options={'table': 'region', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Account',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('number', fields.CharField(unique=True, max_length=32)),
                ('region', fields.ForeignKeyField('models.Region', source_field='region_id', db_constraint=True, to_field='id', related_name='accounts', on_delete=OnDelete.CASCADE)),
                ('surname', fields.CharField(max_length=200)),
                ('address', fields.TextField(description='as printed on the bill, with postal index', unique=False)),
                ('email', fields.CharField(null=True, max_length=254)),
            ],
            options={'table': 'account', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A personal account (лицевой счёт) exactly as the billing system has it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Bill',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='bills', on_delete=OnDelete.CASCADE)),
                ('period', fields.CharField(description='YYYY-MM', max_length=7)),
                ('amount_due', fields.DecimalField(max_digits=12, decimal_places=2)),
                ('due_date', fields.DateField()),
            ],
            options={'table': 'bill', 'app': 'models', 'unique_together': (('account', 'period'),), 'pk_attr': 'id', 'table_description': 'A payment document (платёжный документ) of one account for one month.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='BillLine',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('bill', fields.ForeignKeyField('models.Bill', source_field='bill_id', db_constraint=True, to_field='id', related_name='lines', on_delete=OnDelete.CASCADE)),
                ('position', fields.SmallIntField()),
                ('service', fields.CharField(max_length=200)),
                ('kwh', fields.DecimalField(max_digits=12, decimal_places=3)),
                ('tariff', fields.DecimalField(max_digits=10, decimal_places=4)),
                ('amount', fields.DecimalField(max_digits=12, decimal_places=2)),
            ],
            options={'table': 'bill_line', 'app': 'models', 'unique_together': (('bill', 'position'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Link',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('cabinet', fields.ForeignKeyField('models.Cabinet', source_field='cabinet_id', db_constraint=True, to_field='id', related_name='links', on_delete=OnDelete.CASCADE)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='links', on_delete=OnDelete.CASCADE)),
                ('proof', fields.CharField(description='first_entry | payment | address', max_length=16)),
                ('linked_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'link', 'app': 'models', 'unique_together': (('cabinet', 'account'),), 'pk_attr': 'id', 'table_description': 'Cabinet ↔ personal account, with how it was proven.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Payment',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='payments', on_delete=OnDelete.CASCADE)),
                ('date', fields.DateField()),
                ('amount', fields.DecimalField(max_digits=12, decimal_places=2)),
                ('seq', fields.SmallIntField(default=1, description='1..n among payments with the same account, date and amount, so re-imports stay idempotent')),
            ],
            options={'table': 'payment', 'app': 'models', 'unique_together': (('account', 'date', 'amount', 'seq'),), 'indexes': [Index(fields=['account_id', 'date'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Session',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('cabinet', fields.ForeignKeyField('models.Cabinet', source_field='cabinet_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_seen_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ip', fields.CharField(null=True, max_length=45)),
            ],
            options={'table': 'session', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Our own server-side session: the browser holds the token, we keep only its SHA-256.'},
            bases=['Model'],
        ),
    ]
