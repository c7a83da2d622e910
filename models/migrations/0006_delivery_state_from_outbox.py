from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """A bill delivery's state is its outbox message's (one copy of the truth, one write less per bill sent).

    Tortoise drops a column on SQLite by rebuilding the table, which loses the indexes 0004 made: made again here
    (PostgreSQL keeps them, hence IF NOT EXISTS)."""

    dependencies = [('models', '0005_cabinet_language')]

    initial = False

    operations = [
        ops.RemoveField(model_name='BillDelivery', name='state'),
        ops.RunSQL(
            'CREATE UNIQUE INDEX IF NOT EXISTS "uid_bill_delivery_bill" ON "bill_delivery" ("bill_id")',
            reverse_sql='SELECT 1',
        ),
        ops.RunSQL(
            'CREATE INDEX IF NOT EXISTS "idx_bill_delivery_message" ON "bill_delivery" ("message_id")',
            reverse_sql='SELECT 1',
        ),
    ]
