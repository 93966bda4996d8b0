"""Every table, imported once so the metadata (and Alembic) sees the whole schema."""

from skylight.apikeys.models import ApiKey
from skylight.contacts.models import Contact
from skylight.kit.models import Base
from skylight.workspaces.models import Workspace

__all__ = ["ApiKey", "Base", "Contact", "Workspace"]
