"""Rate limits per API key and per client IP for failed authentication."""
