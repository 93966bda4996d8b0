from __future__ import annotations

# Every event type, with what its data is.
EVENT_TYPES: dict[str, str] = {
    "message.received": "An inbound message arrived (the Message object).",
    "message.sent": "An outbound message was accepted by the channel (the Message object).",
    "message.failed": "An outbound message could not be delivered (the Message object).",
    "message.status_updated": "A delivered or read receipt moved a message on (the Message).",
    "contact.created": "A new contact appeared, e.g. an unknown sender (the Contact object).",
    "contact.opted_out": "A contact opted out of campaigns, e.g. replied STOP (the Contact).",
    "contact.opted_in": "A contact opted back in, e.g. replied START (the Contact).",
    "contacts.imported": "A bulk import finished, completed or failed (the Import object).",
    "channel.status_changed": "A channel's sync_status or is_connected changed (the Channel).",
    "channel.disconnected": "A channel was disconnected (the Channel as it was).",
    "campaign.completed": "An outreach campaign sent to every recipient (the Campaign).",
    "campaign.paused": "A campaign paused: by request, its channel left OK, sends kept failing, "
    "or its send loop gave up (the Campaign, with pause_reason).",
    "webhook_endpoint.disabled": "An endpoint kept failing and was disabled (the endpoint).",
    "webhook_endpoint.test": "Sent by POST /webhook-endpoints/{id}/test.",
}
