"""Sandbox helpers (like Stripe's test helpers): drive the simulated Unipile from tests."""
