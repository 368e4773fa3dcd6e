"""Pages for people: public catalogue and log head, a home per role, firms, plans."""
from flask import Flask

from . import (admin, catalogue, door, firms, home, leniency, offsite, oversight, plans, public, risk,  # noqa: F401
               schedules, visits)  # each adds its routes to bp
from .blueprint import bp


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
