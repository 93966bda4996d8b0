"""Idempotency-Key: a retried request returns the first response and is never done twice."""
