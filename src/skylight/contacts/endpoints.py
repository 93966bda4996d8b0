from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from skylight.apikeys.dependencies import CurrentCaller
from skylight.channels.types import ChannelType
from skylight.contacts import service
from skylight.contacts.schemas import ContactCreate, ContactOut, ContactUpdate
from skylight.kit.dependencies import DbSession
from skylight.kit.envelope import DataMessageResponse, DataResponse, PageMeta, PageResponse
from skylight.kit.openapi import CONFLICT
from skylight.kit.pagination import Pagination
from skylight.kit.params import CleanStr, IdPath

router = APIRouter(prefix="/contacts", tags=["contacts"])


@router.get("", response_model=PageResponse[ContactOut])
async def list_contacts(
    caller: CurrentCaller,
    session: DbSession,
    page: Pagination,
    channel: ChannelType | None = None,
    q: Annotated[
        CleanStr | None, Query(max_length=100, description="Search in name, phone, username.")
    ] = None,
) -> PageResponse[ContactOut]:
    rows, total = await service.list_contacts(
        session, caller.workspace_id, page, channel=channel, q=q
    )
    return PageResponse(
        data=[ContactOut.model_validate(c) for c in rows],
        meta=PageMeta.build(page=page.page, per_page=page.per_page, total=total),
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=DataMessageResponse[ContactOut],
    responses=CONFLICT,
)
async def create_contact(
    caller: CurrentCaller, session: DbSession, body: ContactCreate
) -> DataMessageResponse[ContactOut]:
    contact = await service.create_contact(session, caller.workspace_id, body)
    return DataMessageResponse(data=ContactOut.model_validate(contact), message="Contact created.")


@router.get("/{contact_id}", response_model=DataResponse[ContactOut])
async def get_contact(
    caller: CurrentCaller, session: DbSession, contact_id: IdPath
) -> DataResponse[ContactOut]:
    contact = await service.get_contact(session, caller.workspace_id, contact_id)
    return DataResponse(data=ContactOut.model_validate(contact))


@router.patch("/{contact_id}", response_model=DataMessageResponse[ContactOut], responses=CONFLICT)
async def update_contact(
    caller: CurrentCaller, session: DbSession, contact_id: IdPath, body: ContactUpdate
) -> DataMessageResponse[ContactOut]:
    contact = await service.update_contact(session, caller.workspace_id, contact_id, body)
    return DataMessageResponse(data=ContactOut.model_validate(contact), message="Contact updated.")


@router.delete("/{contact_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_contact(caller: CurrentCaller, session: DbSession, contact_id: IdPath) -> Response:
    await service.delete_contact(session, caller.workspace_id, contact_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
