"""Messages: sending, inbound messages and receipts from Unipile, history."""
