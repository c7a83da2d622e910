from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0008_meters_readings_tariffs')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ReadingNotice',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('cabinet', fields.ForeignKeyField('models.Cabinet', source_field='cabinet_id', db_constraint=True, to_field='id', related_name='reading_notices', on_delete=OnDelete.CASCADE)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='reading_notices', on_delete=OnDelete.CASCADE)),
                ('remind_email', fields.BooleanField(default=False, description='the day the window opens and two days before it closes')),
                ('remind_sms', fields.BooleanField(default=False)),
                ('confirm_email', fields.BooleanField(default=False, description='«Показания приняты» after each submission by this cabinet')),
                ('confirm_sms', fields.BooleanField(default=False)),
                ('consent_version', fields.CharField(null=True, description='the consent text version shown when a channel was last turned on, when and from where', max_length=32)),
                ('consent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('consent_ip', fields.CharField(null=True, max_length=45)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'reading_notice', 'app': 'models', 'unique_together': (('cabinet', 'account'),), 'pk_attr': 'id', 'table_description': 'What one cabinet wants to hear about the readings of one linked account (docs/product.md, flow 8): reminders'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReadingReminder',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('cabinet', fields.ForeignKeyField('models.Cabinet', source_field='cabinet_id', db_constraint=True, to_field='id', related_name='reading_reminders', on_delete=OnDelete.CASCADE)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='reading_reminders', on_delete=OnDelete.CASCADE)),
                ('window_opens', fields.DateField()),
                ('kind', fields.CharField(description='opens (the first day of the window) or closes (two days before its last)', max_length=8)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'reading_reminder', 'app': 'models', 'unique_together': (('cabinet', 'account', 'window_opens', 'kind'),), 'pk_attr': 'id', 'table_description': 'A reminder queued for a cabinet and an account in one window (the day it opens) of one kind: the unique key'},
            bases=['Model'],
        ),
    ]
