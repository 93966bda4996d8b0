"""Benchmarks and hardening suites: real server processes on loopback ports, measured from
outside. Nothing here is imported by the product or by the tests."""
