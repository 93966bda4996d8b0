"""Cross-cutting plumbing: settings, database, envelope, errors, pagination."""
