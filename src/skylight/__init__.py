"""SkyLight Chat: one REST API for WhatsApp, Telegram and Instagram, on Unipile."""

__version__ = "0.1.0"
