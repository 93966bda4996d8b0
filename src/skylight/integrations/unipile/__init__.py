"""Unipile: the typed async client, its errors and schemas, and a local simulator."""

from skylight.integrations.unipile.client import UnipileClient
from skylight.integrations.unipile.providers import whatsapp_provider_id

__all__ = ["UnipileClient", "whatsapp_provider_id"]
