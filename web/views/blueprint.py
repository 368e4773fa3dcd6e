"""The one blueprint of the pages; each module of this package adds its routes to it."""
from flask import Blueprint

bp = Blueprint("views", __name__)
