from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0002_session_password_check')]

    initial = False

    operations = [
        ops.CreateModel(
            name='EBill',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', unique=True, db_constraint=True, to_field='id', related_name='ebill', on_delete=OnDelete.CASCADE)),
                ('cabinet', fields.ForeignKeyField('models.Cabinet', source_field='cabinet_id', description='the cabinet that manages it (any cabinet holding the account may)', db_constraint=True, to_field='id', related_name='ebills', on_delete=OnDelete.CASCADE)),
                ('email', fields.CharField(db_index=True, max_length=254)),
                ('enabled', fields.BooleanField(default=False)),
                ('email_confirmed_at', fields.DatetimeField(null=True, description="the delivery address proved by a link, or it is the confirmed email of the cabinet", auto_now=False, auto_now_add=False)),
                ('consent_version', fields.CharField(null=True, max_length=32)),
                ('consent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('consent_ip', fields.CharField(null=True, max_length=45)),
                ('bounces', fields.SmallIntField(default=0, description='consecutive permanent rejections of the address (5xx), 3 turn e-bill off')),
                ('last_bounce', fields.TextField(default='', unique=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'ebill', 'app': 'models', 'pk_attr': 'id', 'table_description': '«Подключение получения квитанции на электронную почту» of one personal account.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='BillDelivery',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('bill', fields.ForeignKeyField('models.Bill', source_field='bill_id', unique=True, db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('ebill', fields.ForeignKeyField('models.EBill', source_field='ebill_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('email', fields.CharField(max_length=254)),
                ('state', fields.CharField(default='queued', description='queued | sent | failed', max_length=8)),
                ('message', fields.ForeignKeyField('models.OutboxMessage', source_field='message_id', null=True, db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'bill_delivery', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One bill sent (or being sent) by email: at most one per bill, so a dispatch never sends a bill twice.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='OutboxMessage',
            name='attachment',
            field=fields.JSONField(null=True, description='what the worker attaches when it builds the email, e.g. {"bill_id": 5} (rendered then, not stored)', encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='OutboxMessage',
            name='topic',
            field=fields.CharField(default='', description='who wants to hear about the outcome (e.g. "ebill" marks bounces on the subscription)', max_length=16),
        ),
    ]
