from __future__ import annotations

from fastapi import APIRouter, status

from skylight.apikeys.dependencies import CurrentCaller
from skylight.campaigns import service
from skylight.campaigns.schemas import CampaignCreate, CampaignOut, CampaignStart
from skylight.kit.dependencies import DbSession
from skylight.kit.envelope import DataMessageResponse, DataResponse, PageMeta, PageResponse
from skylight.kit.pagination import Pagination
from skylight.kit.params import IdPath

router = APIRouter(prefix="/campaigns", tags=["campaigns"])
Out = DataMessageResponse[CampaignOut]


@router.get("", response_model=PageResponse[CampaignOut])
async def list_campaigns(
    caller: CurrentCaller, session: DbSession, page: Pagination
) -> PageResponse[CampaignOut]:
    rows, total = await service.list_campaigns(session, caller.workspace_id, page)
    return PageResponse(
        data=list(rows), meta=PageMeta.build(page=page.page, per_page=page.per_page, total=total)
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=Out)
async def create_campaign(caller: CurrentCaller, session: DbSession, body: CampaignCreate) -> Out:
    campaign_id = await service.create_campaign(session, caller.workspace_id, body)
    campaign = await service.get_campaign(session, caller.workspace_id, campaign_id)
    return Out(data=campaign, message="Campaign created. Start it to begin sending.")


@router.get("/{campaign_id}", response_model=DataResponse[CampaignOut])
async def get_campaign(
    caller: CurrentCaller, session: DbSession, campaign_id: IdPath
) -> DataResponse[CampaignOut]:
    return DataResponse(data=await service.get_campaign(session, caller.workspace_id, campaign_id))


@router.post("/{campaign_id}/start", response_model=Out)
async def start(
    caller: CurrentCaller,
    session: DbSession,
    campaign_id: IdPath,
    body: CampaignStart | None = None,
) -> Out:
    start_at = body.start_at if body else None
    campaign = await service.start(session, caller.workspace_id, campaign_id, start_at)
    if campaign.state == "scheduled":
        return Out(data=campaign, message="Campaign scheduled.")
    return Out(data=campaign, message="Campaign started.")


@router.post("/{campaign_id}/pause", response_model=Out)
async def pause(caller: CurrentCaller, session: DbSession, campaign_id: IdPath) -> Out:
    campaign = await service.pause(session, caller.workspace_id, campaign_id)
    return Out(data=campaign, message="Campaign paused.")


@router.post("/{campaign_id}/resume", response_model=Out)
async def resume(caller: CurrentCaller, session: DbSession, campaign_id: IdPath) -> Out:
    campaign = await service.resume(session, caller.workspace_id, campaign_id)
    return Out(data=campaign, message="Campaign resumed.")


@router.post("/{campaign_id}/cancel", response_model=Out)
async def cancel(caller: CurrentCaller, session: DbSession, campaign_id: IdPath) -> Out:
    campaign = await service.cancel(session, caller.workspace_id, campaign_id)
    return Out(data=campaign, message="Campaign cancelled.")
