from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Session',
            name='password_checked_at',
            field=fields.DatetimeField(null=True, description='when the customer last typed the password in this session (email, phone, password changes ask again)', auto_now=False, auto_now_add=False),
        ),
    ]
