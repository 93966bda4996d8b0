from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from skylight.campaigns.types import FINISHED
from skylight.cli.common import cli_settings, console, unit_of_work
from skylight.kit.db import Database, create_engine
from skylight.workspaces.service import get_by_slug

if TYPE_CHECKING:
    from skylight.campaigns.schemas import CampaignOut

app = typer.Typer(help="Outreach campaigns.", no_args_is_help=True)

STATE_STYLE = {
    "draft": "dim",
    "scheduled": "cyan",
    "running": "green",
    "paused": "yellow",
    "completed": "bold green",
    "cancelled": "red",
}


@app.command("list")
def list_(
    workspace: Annotated[str | None, typer.Option(help="Only this workspace's campaigns.")] = None,
) -> None:
    """List campaigns with their progress."""

    from skylight.campaigns import service

    async def run() -> list[CampaignOut]:
        async with unit_of_work() as session:
            workspace_id = (await get_by_slug(session, workspace)).id if workspace else None
            return await service.all_campaigns(session, workspace_id)

    table = Table(
        "id", "name", "channel", "state", "sent", "failed", "pending", "total", "skipped", "why"
    )
    for c in asyncio.run(run()):
        p = c.progress
        state = f"[{STATE_STYLE[c.state]}]{c.state}[/]"
        counts = (str(p.sent), str(p.failed), str(p.pending), str(p.total), str(p.skipped))
        table.add_row(str(c.id), c.name, c.channel.value, state, *counts, c.pause_reason or "")
    console.print(table)


def _describe(campaign: CampaignOut) -> str:
    text = f"{campaign.name} [{STATE_STYLE[campaign.state]}]{campaign.state}[/]"
    if campaign.progress.failed:
        text += f" [red]{campaign.progress.failed} failed[/red]"
    if campaign.pause_reason:
        text += f" [yellow]{campaign.pause_reason}[/yellow]"
    return text


@app.command("watch")
def watch(
    campaign_id: int,
    interval: Annotated[float, typer.Option(min=0.1, help="Seconds between refreshes.")] = 1.0,
) -> None:
    """Follow a campaign with a live progress bar until it completes or is cancelled."""
    from skylight.campaigns import service

    async def run() -> CampaignOut:
        db = Database(create_engine(cli_settings().resolved_database_url))
        try:
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.percentage:>3.0f}%"),
                TimeElapsedColumn(),
                console=console,
            ) as bar:
                task = None
                while True:
                    async with db.transaction() as session:
                        campaign = await service.any_campaign(session, campaign_id)
                    p = campaign.progress
                    done = p.sent + p.failed + p.skipped
                    if task is None:
                        task = bar.add_task("", total=campaign.progress.total)
                    bar.update(task, completed=done, description=_describe(campaign))
                    if campaign.state in FINISHED:
                        return campaign
                    await asyncio.sleep(interval)
        finally:
            await db.dispose()

    with contextlib.suppress(KeyboardInterrupt):
        final = asyncio.run(run())
        p = final.progress
        skipped = f", {p.skipped} skipped (opted out)" if p.skipped else ""
        console.print(
            f"Campaign {final.id} {final.state}: {p.sent} sent, {p.failed} failed{skipped}."
        )
