from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


class Migration(migrations.Migration):
    """The record of the server's monthly dispatch, one row per period. A period that has bill deliveries already was
    dispatched by an earlier version (or by `send-bills`): recorded as done, so the bill day's catch-up does not run
    it again after the upgrade."""

    dependencies = [('models', '0009_reading_notices')]

    initial = False

    operations = [
        ops.CreateModel(
            name='BillRun',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('period', fields.CharField(unique=True, description="YYYY-MM, the bills' month", max_length=7)),
                ('owner', fields.CharField(description='the process that runs it, whose claim lapses at claimed_until unless renewed (a killed process is taken over)', max_length=32)),
                ('claimed_until', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('queued', fields.IntField(null=True, description='bills the finished run queued (0: an earlier run or `send-bills` had queued them)')),
            ],
            options={'table': 'bill_run', 'app': 'models', 'pk_attr': 'id', 'table_description': "The server's monthly dispatch of one period, claimed by one process and recorded when done."},
            bases=['Model'],
        ),
        ops.RunSQL(
            'INSERT INTO "bill_run" ("period", "owner", "claimed_until", "started_at", "finished_at", "queued") '
            'SELECT DISTINCT "bill"."period", \'before-0010\', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 0 '
            'FROM "bill_delivery" JOIN "bill" ON "bill"."id" = "bill_delivery"."bill_id"',
            reverse_sql='SELECT 1',
        ),
    ]
