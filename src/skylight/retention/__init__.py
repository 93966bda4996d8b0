"""Retention: what grows with use is deleted after its window, in small batches."""
