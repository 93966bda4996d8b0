"""The /api/v1 router: every domain's endpoints, in one place."""

from __future__ import annotations

from fastapi import APIRouter

from skylight.campaigns.endpoints import router as campaigns_router
from skylight.channels.endpoints import router as channels_router
from skylight.contacts.endpoints import router as contacts_router
from skylight.conversations.endpoints import router as conversations_router
from skylight.events.endpoints import router as events_router
from skylight.files.endpoints import router as files_router
from skylight.kit.openapi import API_ERRORS
from skylight.messages.endpoints import read_router as conversation_read_router
from skylight.messages.endpoints import router as messages_router
from skylight.sandbox.endpoints import router as sandbox_router
from skylight.webhooks.endpoints import router as webhooks_router

api_router = APIRouter(prefix="/api/v1", responses=API_ERRORS)
api_router.include_router(contacts_router)
api_router.include_router(channels_router)
api_router.include_router(messages_router)
api_router.include_router(files_router)
api_router.include_router(conversations_router)
api_router.include_router(conversation_read_router)
api_router.include_router(campaigns_router)
api_router.include_router(events_router)
api_router.include_router(webhooks_router)
api_router.include_router(sandbox_router)
