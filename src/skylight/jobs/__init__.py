"""Durable background jobs: enqueued in the same transaction as the data they refer to,
claimed by any number of workers without double-taking (FOR UPDATE SKIP LOCKED on PostgreSQL;
SQLite's write lock serialises claims), leased so a crashed worker's jobs are taken over."""
