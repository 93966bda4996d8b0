"""Webhooks Unipile sends us: account status changes and messaging events."""
