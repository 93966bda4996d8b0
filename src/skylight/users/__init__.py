"""Dashboard users: email + password sign-in, server-side sessions."""
