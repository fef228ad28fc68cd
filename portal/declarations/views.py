from flask import Blueprint

bp = Blueprint("declarations", __name__, url_prefix="/declarations")
