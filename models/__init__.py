"""Tortoise models, one module per aggregate; the schema is changed only through models/migrations."""

MODEL_MODULES = [
    'models.billing',
    'models.cabinet',
    'models.security',
    'models.outbox',
    'models.ebill',
    'models.readings',
    'models.staff',
]
