"""Connected messaging accounts (WhatsApp, Telegram, Instagram) per workspace."""
