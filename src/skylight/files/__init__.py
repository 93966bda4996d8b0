"""Files: uploads for outbound attachments and the bytes of inbound ones, in private storage."""
