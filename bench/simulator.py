"""`python -m bench.simulator`: the Unipile simulator in its own process, with the knobs the
benches need (`skylight simulator` always echoes API sends as webhooks)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import uvicorn

from skylight.integrations.unipile.simulator import SimulatorConfig, create_simulator_app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--no-echo", action="store_true", help="Don't echo API sends as webhooks.")
    args = parser.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    config = SimulatorConfig(
        api_key=os.environ["SKYLIGHT_UNIPILE_API_KEY"],
        db_path=args.data_dir / "unipile-simulator.db",
        echo_api_messages=not args.no_echo,
        connect_delay_seconds=0.2,
        webhook_retry_base_seconds=0.2,
        seed=1,
    )
    uvicorn.run(
        create_simulator_app(config),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        ws="none",
    )


if __name__ == "__main__":
    main()
