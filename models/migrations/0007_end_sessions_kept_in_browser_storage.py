from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """Every session open at the upgrade ends: versions before the session cookie kept their tokens in NiceGUI's
    browser storage (`.nicegui/storage-user-*.json`, or Redis), where they could still sign someone in for up to 12
    hours. Customers log in once more."""

    dependencies = [('models', '0006_delivery_state_from_outbox')]

    initial = False

    operations = [
        ops.RunSQL('DELETE FROM "session"', reverse_sql='SELECT 1'),
    ]
