"""Tests of services/messaging/: the outbox, MIME and gateways, the demo mailbox."""
