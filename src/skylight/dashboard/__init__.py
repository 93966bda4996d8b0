"""The dashboard: server-rendered pages under /dashboard, signed in with email and password."""
