"""Conversations: one row per contact, kept current as messages arrive so listing never
scans or groups the messages table."""
