"""The outbox: every email and SMS is written to the database first (queueing), then delivered by a worker with
retries (delivery, leases, retry, recorder, worker); emails are built off the event loop (building, processes). An
operator reads where it stands (status) and sends a failed message again (requeue).

Other services plug in without the outbox knowing them, installed by main.py (`install(Plugin)`, see plugins): an
`Attachment` renders a named attachment when the email is built (a bill's PDF is made then, never stored), and an
`Outcome` hears when a message of a topic is sent or has failed for good (the e-bill marks its delivery and counts
bounces). This package's names below are what the rest of the portal uses.
"""

from services.messaging.outbox.delivery import deliver_all_due, deliver_due
from services.messaging.outbox.leases import LEASE
from services.messaging.outbox.plugins import Attachment, Outcome, Plugin, install
from services.messaging.outbox.processes import build_in_processes
from services.messaging.outbox.queueing import Email, send_email, send_emails, send_sms, send_sms_batch
from services.messaging.outbox.retry import RetryStrategy, retry_strategy
from services.messaging.outbox.store import EMAIL, SMS
from services.messaging.outbox.worker import OutboxWorker

__all__ = [
    'EMAIL',
    'LEASE',
    'SMS',
    'Attachment',
    'Email',
    'OutboxWorker',
    'Outcome',
    'Plugin',
    'RetryStrategy',
    'build_in_processes',
    'deliver_all_due',
    'deliver_due',
    'install',
    'retry_strategy',
    'send_email',
    'send_emails',
    'send_sms',
    'send_sms_batch',
]
