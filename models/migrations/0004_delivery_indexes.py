from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """The unique keys 0003 declared on foreign keys but Tortoise 1.1.9 did not create, and the index a dispatch
    joins its outbox messages by."""

    dependencies = [('models', '0003_ebill')]

    initial = False

    operations = [
        ops.RunSQL(
            'CREATE UNIQUE INDEX IF NOT EXISTS "uid_bill_delivery_bill" ON "bill_delivery" ("bill_id")',
            reverse_sql='DROP INDEX IF EXISTS "uid_bill_delivery_bill"',
        ),
        ops.RunSQL(
            'CREATE UNIQUE INDEX IF NOT EXISTS "uid_ebill_account" ON "ebill" ("account_id")',
            reverse_sql='DROP INDEX IF EXISTS "uid_ebill_account"',
        ),
        ops.RunSQL(
            'CREATE INDEX IF NOT EXISTS "idx_bill_delivery_message" ON "bill_delivery" ("message_id")',
            reverse_sql='DROP INDEX IF EXISTS "idx_bill_delivery_message"',
        ),
    ]
