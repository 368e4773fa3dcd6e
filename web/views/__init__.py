"""Pages for people: public catalogue and log head, a home per role, firms, plans."""
from flask import Flask

from . import (  # noqa: F401
    admin,
    catalogue,
    documents,
    door,
    firms,
    home,
    leniency,
    notices,
    offsite,
    oversight,
    plans,
    public,
    risk,
    rules,
    schedules,  # each adds its routes to bp
    visits,
)
from .blueprint import bp


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
