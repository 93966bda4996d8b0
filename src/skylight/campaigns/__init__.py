"""Outreach campaigns: one message to many contacts, paced per channel, each sent at most once."""
