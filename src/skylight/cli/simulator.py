"""``skylight simulator``: run the Unipile simulator standalone."""

from __future__ import annotations

from pathlib import Path

import typer
import uvicorn

from skylight.integrations.unipile.simulator import SimulatorConfig, create_simulator_app

DB_FILE = "unipile-simulator.db"


def simulator(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8787, help="Port to listen on."),
    api_key: str = typer.Option(
        ..., envvar="SKYLIGHT_UNIPILE_API_KEY", help="The X-API-KEY clients must send."
    ),
    data_dir: Path = typer.Option(
        Path("./data"),
        envvar="SKYLIGHT_DATA_DIR",
        help=f"Folder holding {DB_FILE} (like the server's data folder).",
    ),
) -> None:
    """Serve a local Unipile v1 stand-in at http://HOST:PORT/api/v1/..."""
    data_dir.mkdir(parents=True, exist_ok=True)
    config = SimulatorConfig(api_key=api_key, db_path=data_dir / DB_FILE)
    typer.echo(f"Unipile simulator on http://{host}:{port}/api/v1 (state in {config.db_path})")
    uvicorn.run(create_simulator_app(config), host=host, port=port, ws="none")
