"""Events: what happened, stored in the same transaction as the change (an outbox), listed for
catch-up, streamed live, and delivered to our users' webhook endpoints."""
