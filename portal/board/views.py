from flask import Blueprint, render_template

bp = Blueprint("board", __name__)


@bp.get("/board")
def index():
    return render_template("error.html", code=200, title="公示公告", message="暂无公示。")
