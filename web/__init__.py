"""Flask application: pages per role, the JSON API under /api/v1, the command line."""
from .app import ConfigurationError, create_app

__all__ = ["ConfigurationError", "create_app"]
