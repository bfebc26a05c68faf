"""The web fixtures (a seeded store, an app, a logged-in client per role) for online reporting."""

from tests.web.conftest import app, clients, seeded, seeded_analytics  # noqa: F401
