"""Configuration: defaults here, then instance/config.py, then PORTAL_* / DATABASE_URL from the environment."""

import os
import secrets
from pathlib import Path


class Defaults:
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session
    WTF_I18N_ENABLED = False  # use WTForms' bundled Chinese messages (see extensions.py)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_NAME = "portal_session"
    REMEMBER_COOKIE_DURATION = 0
    MAX_CONTENT_LENGTH = 64 * 1024 * 1024  # hard ceiling of one request; per-file limits are below

    # Password policy (等保 2.0 defaults)
    PASSWORD_MIN_LENGTH = 8
    PASSWORD_MIN_CLASSES = 3
    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCK_MINUTES = 15
    LOGIN_MAX_FAILURES_PER_ADDRESS = 20  # per address and lock window
    IDLE_TIMEOUT_MINUTES = 30

    # Evidence files
    EVIDENCE_MAX_FILE_BYTES = 10 * 1024 * 1024
    EVIDENCE_MAX_DECLARATION_BYTES = 50 * 1024 * 1024

    # Publicity and rules
    PUBLICITY_WORKING_DAYS = 5
    OBJECTION_LIMIT_PER_HOUR = 5  # objections one address may raise in an hour
    ALLOW_TRANSITION_RULE_SET = True  # 2025–2030 declarations may elect hefei-2021 (seed 003)
    TRAINING_PLAN_LEAD_DAYS = 15  # providers file a training plan this many days before it starts
    # Cycle verification: the reading of "不得在一个年度内突击完成" (spec/rules.md)
    CYCLE_MAKEUP = False  # True: a shortfall may only be made up by the next year (seeds 000, 001)
    CYCLE_CAP_FACTOR = 2  # otherwise no year counts for more than this many years (seed 003)

    # Certificate PDF: a TrueType CJK font; discovered when not set
    CERTIFICATE_FONT_PATH = None
    PUBLIC_BASE_URL = None  # printed in QR codes; defaults to the request's host
    BUREAU_NAME = "示范县人力资源和社会保障局"
    CERTIFICATE_COUNTY_CODE = "341822"  # administrative division code in certificate numbers


def _secret_key(instance_path: str) -> str:
    """Read the instance's secret key, generating it on first start."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        os.chmod(path, 0o600)
    return path.read_text().strip()


def load(app, test_config: dict | None) -> None:
    app.config.from_object(Defaults)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config["UPLOAD_FOLDER"] = os.path.join(app.instance_path, "evidence")
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(
        app.instance_path, "portal.sqlite3"
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("PORTAL")
    else:
        app.config.from_mapping(test_config)
    url = (
        os.environ.get("DATABASE_URL")
        if test_config is None
        else test_config.get("SQLALCHEMY_DATABASE_URI")
    )
    if url:
        if url.startswith("postgres://"):
            url = "postgresql://" + url.removeprefix("postgres://")
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        app.config["SQLALCHEMY_DATABASE_URI"] = url
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app.instance_path)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "connect_args": {"timeout": 15},
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
        }
    Path(app.config["UPLOAD_FOLDER"]).mkdir(parents=True, exist_ok=True)
