"""API keys: shown once, stored as a hash, each bound to one workspace."""
