from tortoise import migrations
from tortoise.migrations import operations as ops
from models.readings import ReadingSource, ReadingStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0007_end_sessions_kept_in_browser_storage')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Meter',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='meters', on_delete=OnDelete.CASCADE)),
                ('serial', fields.CharField(max_length=64)),
                ('zones', fields.SmallIntField(description='tariff zones: 1 (сутки), 2 (T1 день, T2 ночь) or 3 (T1 пик, T2 ночь, T3 полупик)')),
                ('digits', fields.SmallIntField(description='the register: integer and fractional digits (a value wraps to 0 at 10**digits)')),
                ('decimals', fields.SmallIntField(default=0)),
                ('ratio', fields.IntField(default=1, description="current transformer ratio: consumption is the register's difference times this")),
                ('installed', fields.DateField(null=True)),
                ('verify_by', fields.DateField(null=True, description="«дата поверки»: after it the meter's readings are not accepted until it is verified again")),
                ('smart', fields.BooleanField(default=False, description='ИСУ: read remotely, closed to manual submission')),
                ('removed', fields.DateField(null=True)),
            ],
            options={'table': 'meter', 'app': 'models', 'unique_together': (('account', 'serial'),), 'pk_attr': 'id', 'table_description': 'A meter of a personal account as billing has it: a replaced meter gets `removed` and keeps its history.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReadingExport',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('period', fields.CharField(db_index=True, description='YYYY-MM', max_length=7)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('rows', fields.IntField(default=0)),
            ],
            options={'table': 'reading_export', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One run of `readings-export` for a period: the id that makes the export resumable and idempotent.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Reading',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('meter', fields.ForeignKeyField('models.Meter', source_field='meter_id', db_constraint=True, to_field='id', related_name='readings', on_delete=OnDelete.CASCADE)),
                ('date', fields.DateField()),
                ('t1', fields.DecimalField(max_digits=16, decimal_places=4)),
                ('t2', fields.DecimalField(null=True, max_digits=16, decimal_places=4)),
                ('t3', fields.DecimalField(null=True, max_digits=16, decimal_places=4)),
                ('source', fields.CharEnumField(description='CUSTOMER: customer\nBILLING: billing\nSMART: smart\nCALCULATED: calculated', enum_type=ReadingSource, max_length=10)),
                ('status', fields.CharEnumField(description='SUBMITTED: submitted\nEXPORTED: exported\nACCEPTED: accepted\nREJECTED: rejected', enum_type=ReadingStatus, max_length=9)),
                ('reason', fields.TextField(default='', description="billing's reason when it rejected the reading, shown to the customer", unique=False)),
                ('cabinet', fields.ForeignKeyField('models.Cabinet', source_field='cabinet_id', null=True, description='customer readings: who sent it, when and how', db_constraint=True, to_field='id', related_name='readings', on_delete=OnDelete.SET_NULL)),
                ('submitted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('channel', fields.CharField(default='', max_length=16)),
                ('superseded', fields.BooleanField(default=False, description='a later submission in the same window replaced this one: history keeps it, the export does not send it')),
                ('export', fields.ForeignKeyField('models.ReadingExport', source_field='export_id', null=True, db_constraint=True, to_field='id', related_name='readings', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'reading', 'app': 'models', 'indexes': [Index(fields=['meter_id', 'date'])], 'pk_attr': 'id', 'table_description': "The register's value per zone on a date, and for customer readings who sent them and how far billing got."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Tariff',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('region', fields.ForeignKeyField('models.Region', source_field='region_id', db_constraint=True, to_field='id', related_name='tariffs', on_delete=OnDelete.CASCADE)),
                ('zone', fields.SmallIntField()),
                ('price', fields.DecimalField(max_digits=10, decimal_places=4)),
                ('valid_from', fields.DateField()),
                ('band_kwh', fields.DecimalField(null=True, max_digits=12, decimal_places=3)),
                ('band_price', fields.DecimalField(null=True, max_digits=10, decimal_places=4)),
            ],
            options={'table': 'tariff', 'app': 'models', 'unique_together': (('region', 'zone', 'valid_from'),), 'pk_attr': 'id', 'table_description': "The price of a kWh in a region's zone from a date, and above `band_kwh` a month the band price."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Region',
            name='readings_from',
            field=fields.SmallIntField(null=True, description='the readings submission window, days of the month (both empty: PORTAL_READINGS_WINDOW)'),
        ),
        ops.AddField(
            model_name='Region',
            name='readings_to',
            field=fields.SmallIntField(null=True),
        ),
    ]
