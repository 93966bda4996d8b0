"""Webhook endpoints of our users: signed deliveries of events, retried for days, logged."""
