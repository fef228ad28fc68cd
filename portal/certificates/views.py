from flask import Blueprint, render_template

bp = Blueprint("certificates", __name__)


@bp.get("/verify")
def verify_form():
    return render_template("error.html", code=200, title="证书查验", message="请输入查验码。")
