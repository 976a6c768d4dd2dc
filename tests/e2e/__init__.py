"""End-to-end tests with real Prometheus and Alertmanager processes (fixtures in conftest.py)."""
