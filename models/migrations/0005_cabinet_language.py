from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0004_delivery_indexes')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Cabinet',
            name='language',
            field=fields.CharField(null=True, description='ru or en: the language the customer last chose, for mail and SMS sent without them (empty: never chose)', max_length=8),
        ),
    ]
