"""The Unipile simulator fixtures of tests/integrations/unipile, for the inbound tests."""

from tests.integrations.unipile.conftest import sim, sim_config, start_sim

__all__ = ["sim", "sim_config", "start_sim"]
