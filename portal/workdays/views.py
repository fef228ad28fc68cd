from flask import Blueprint

bp = Blueprint("workdays", __name__, url_prefix="/workdays")
