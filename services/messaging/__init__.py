"""Every email and SMS: the outbox that queues and delivers them, MIME, gateways, templates."""
