"""The `skylight` command line."""
