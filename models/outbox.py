"""Every email and SMS is written here first and delivered by the outbox worker."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class OutboxState(StrEnum):
    PENDING = 'pending'
    SENDING = 'sending'
    SENT = 'sent'
    FAILED = 'failed'


class OutboxMessage(Model):
    id = fields.BigIntField(primary_key=True)
    #: email | sms
    channel = fields.CharField(max_length=8)
    recipient = fields.CharField(max_length=254)
    subject = fields.CharField(max_length=300, default='')
    body_text = fields.TextField()
    body_html = fields.TextField(default='')
    #: codes and links are blanked once delivered (kept in demo mode for the demo mailbox)
    sensitive = fields.BooleanField(default=False)
    #: what the worker attaches when it builds the email, e.g. {"bill_id": 5} (rendered then, not stored)
    attachment = fields.JSONField(null=True)
    #: who wants to hear about the outcome (e.g. "ebill" marks bounces on the subscription)
    topic = fields.CharField(max_length=16, default='')
    state = fields.CharEnumField(OutboxState, default=OutboxState.PENDING)
    attempts = fields.SmallIntField(default=0)
    next_attempt_at = fields.DatetimeField()
    #: a worker owns a SENDING message until then: past it, the message is taken back
    lease_until = fields.DatetimeField(null=True)
    last_error = fields.TextField(default='')
    created_at = fields.DatetimeField()
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = 'outbox_message'
        indexes = (('state', 'next_attempt_at'),)
