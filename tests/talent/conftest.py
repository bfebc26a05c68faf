"""The web fixtures (a seeded store, an app on it, logged-in clients per role) for the talent pages and API."""

from tests.web.conftest import app, clients, seeded, seeded_analytics  # noqa: F401
