"""Contacts: the people a workspace messages, one per handle per channel."""
