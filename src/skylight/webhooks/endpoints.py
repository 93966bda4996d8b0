from __future__ import annotations

from fastapi import APIRouter, Response, status

from skylight.apikeys.dependencies import CurrentCaller
from skylight.kit.dependencies import AppSettings, DbSession
from skylight.kit.envelope import DataMessageResponse, DataResponse, MessageResponse
from skylight.kit.pagination import Pagination
from skylight.kit.params import IdPath
from skylight.webhooks import service
from skylight.webhooks.schemas import (
    DeliveryOut,
    EndpointCreate,
    EndpointOut,
    EndpointUpdate,
    EndpointWithSecret,
    RotateIn,
)

router = APIRouter(prefix="/webhook-endpoints", tags=["webhooks"])
SECRET_ONCE = "Store the signing secret now: it is not shown again."  # noqa: S105 (a notice)


@router.post(
    "", status_code=status.HTTP_201_CREATED, response_model=DataMessageResponse[EndpointWithSecret]
)
async def create_endpoint(
    caller: CurrentCaller, session: DbSession, settings: AppSettings, body: EndpointCreate
) -> DataMessageResponse[EndpointWithSecret]:
    created = await service.create(session, caller.workspace_id, body, settings)
    return DataMessageResponse(data=created, message=SECRET_ONCE)


@router.get("", response_model=DataResponse[list[EndpointOut]])
async def list_endpoints(
    caller: CurrentCaller, session: DbSession
) -> DataResponse[list[EndpointOut]]:
    return DataResponse(data=await service.list_endpoints(session, caller.workspace_id))


@router.get("/{endpoint_id}", response_model=DataResponse[EndpointOut])
async def get_endpoint(
    caller: CurrentCaller, session: DbSession, endpoint_id: IdPath
) -> DataResponse[EndpointOut]:
    return DataResponse(data=await service.get(session, caller.workspace_id, endpoint_id))


@router.patch("/{endpoint_id}", response_model=DataResponse[EndpointOut])
async def update_endpoint(
    caller: CurrentCaller,
    session: DbSession,
    settings: AppSettings,
    endpoint_id: IdPath,
    body: EndpointUpdate,
) -> DataResponse[EndpointOut]:
    updated = await service.update(session, caller.workspace_id, endpoint_id, body, settings)
    return DataResponse(data=updated)


@router.delete("/{endpoint_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_endpoint(
    caller: CurrentCaller, session: DbSession, endpoint_id: IdPath
) -> Response:
    await service.delete(session, caller.workspace_id, endpoint_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{endpoint_id}/rotate-secret", response_model=DataMessageResponse[EndpointWithSecret])
async def rotate_secret(
    caller: CurrentCaller,
    session: DbSession,
    settings: AppSettings,
    endpoint_id: IdPath,
    body: RotateIn | None = None,
) -> DataMessageResponse[EndpointWithSecret]:
    grace = body.grace_hours if body else None
    rotated = await service.rotate(session, caller.workspace_id, endpoint_id, grace, settings)
    return DataMessageResponse(
        data=rotated,
        message=SECRET_ONCE + " The previous one signs too until the grace period ends.",
    )


@router.post("/{endpoint_id}/test", response_model=MessageResponse)
async def send_test_event(
    caller: CurrentCaller, session: DbSession, endpoint_id: IdPath
) -> MessageResponse:
    event_id = await service.send_test(session, caller.workspace_id, endpoint_id)
    return MessageResponse(message=f"Test event {event_id} queued for delivery.")


@router.get("/{endpoint_id}/deliveries", response_model=DataResponse[list[DeliveryOut]])
async def list_deliveries(
    caller: CurrentCaller, session: DbSession, endpoint_id: IdPath, page: Pagination
) -> DataResponse[list[DeliveryOut]]:
    rows = await service.deliveries(session, caller.workspace_id, endpoint_id, page)
    return DataResponse(data=rows)


@router.post("/{endpoint_id}/deliveries/{delivery_id}/redeliver", response_model=MessageResponse)
async def redeliver(
    caller: CurrentCaller, session: DbSession, endpoint_id: IdPath, delivery_id: IdPath
) -> MessageResponse:
    await service.redeliver(session, caller.workspace_id, endpoint_id, delivery_id)
    return MessageResponse(message="Delivery queued again.")
