"""Configuration: defaults here, then instance/config.py, then PORTAL_* / DATABASE_URL from the environment."""

import logging
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
    # Behind nginx (or another reverse proxy): how many proxies in front of the app set
    # X-Forwarded-For/-Proto. 0 = none, the socket's address is the client's. Only count proxies
    # you run: each one trusted lets a client choose the address throttles and lockouts see.
    TRUSTED_PROXIES = 0
    # ... and their addresses (or networks): X-Forwarded-* is believed only on a connection from
    # one of these; a client reaching the app directly cannot choose its address (issue 23.12)
    TRUSTED_PROXY_ADDRESSES = ("127.0.0.1", "::1")
    # Served over HTTPS (directly or by the proxy): cookies only over HTTPS, and HSTS.
    HTTPS = False
    HSTS_MAX_AGE = 365 * 24 * 3600
    MAX_CONTENT_LENGTH = 64 * 1024 * 1024  # hard ceiling of one request; per-file limits are below

    # Password policy (等保 2.0 defaults)
    # How new passwords are hashed (werkzeug's method string): scrypt, deliberately slow (~0.1 s
    # of CPU). The test suite alone sets a cheap one: it logs in thousands of times.
    PASSWORD_HASH_METHOD = "scrypt"  # nosec B105 (the name of the hash function, not a password)
    PASSWORD_MIN_LENGTH = 8
    PASSWORD_MIN_CLASSES = 3
    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCK_MINUTES = 15
    LOGIN_MAX_FAILURES_PER_ADDRESS = 20  # per address and lock window
    IDLE_TIMEOUT_MINUTES = 30
    SESSION_MAX_HOURS = 12  # 等保: a session ends this long after the login, however busy (23.13)

    # Evidence files
    EVIDENCE_MAX_FILE_BYTES = 10 * 1024 * 1024
    EVIDENCE_MAX_DECLARATION_BYTES = 50 * 1024 * 1024
    # Quotas (issue 23.4): an unconfirmed self-registration, and every person over all years
    EVIDENCE_QUOTA_UNCONFIRMED_BYTES = 20 * 1024 * 1024
    EVIDENCE_QUOTA_PERSON_BYTES = 500 * 1024 * 1024

    # Publicity and rules
    PUBLICITY_WORKING_DAYS = 5  # never fewer (004 第十四条)
    UNIT_PUBLICITY = False  # True: units may publicise their own people (004 第十四条)
    TWO_STEP_REVIEW = False  # True: professional claims first, then the bureau (seed 003 五)
    OBJECTION_LIMIT_PER_HOUR = 5  # objections one address may raise in an hour
    VERIFY_LIMIT_PER_HOUR = 20  # certificate lookups by short code one address may make in an hour
    ALLOW_TRANSITION_RULE_SET = True  # 2025–2030 declarations may elect hefei-2021 (seed 003)
    HIGHEST_ONLY_SCOPE = "clause"  # 第二十一条4: one clause item counts ("claim": one claim)
    TRAINING_PLAN_LEAD_DAYS = 15  # providers file a training plan this many days before it starts
    # 003 六(一): 2025年度公需科目线上学习截至2026年5月31日 (year → last day; the bureau adds years)
    ONLINE_GENERAL_STUDY_ENDS = {"2025": "2026-05-31"}
    # 001 三, 003 二: an unfiled professional training counts 0 (False: flag only)
    UNFILED_TRAINING_REFUSED = True
    PLAN_DECIDED_BY = "bureau"  # who decides plan filings: "bureau" or "authority" (of the series)
    # Cycle verification: the reading of "不得在一个年度内突击完成" (spec/rules.md)
    CYCLE_MAKEUP = False  # True: a shortfall may only be made up by the next year (seeds 000, 001)
    CYCLE_CAP_FACTOR = 2  # otherwise no year counts for more than this many years (seed 003)
    # The tenure cycle's default length per level applied for (the seeds give none): years
    TENURE_YEARS_FULL_SENIOR = 5
    TENURE_YEARS_DEPUTY_SENIOR = 5
    TENURE_YEARS_INTERMEDIATE = 4
    TENURE_YEARS_JUNIOR = 2  # 助理级
    TENURE_YEARS_ASSISTANT = 2

    # Certificate PDF: a TrueType CJK font; discovered when not set
    CERTIFICATE_FONT_PATH = None
    PUBLIC_BASE_URL = None  # printed in QR codes; defaults to the request's host
    BUREAU_NAME = "示范县人力资源和社会保障局"
    CERTIFICATE_COUNTY_CODE = "341822"  # administrative division code in certificate numbers
    # The install's own county (GB/T 2260): a single-county install is this county, its city
    # and province; a city instance adds its other counties (issue 24). Names: these, else
    # python-stdnum's copy of GB/T 2260.
    JURISDICTION_CODE = "341822"
    COUNTY_NAME = ""
    CITY_NAME = ""
    PROVINCE_NAME = ""

    # Background jobs (huey): SQLite file under instance/ unless REDIS_URL is set; immediate
    # runs every job inside the request that submits it (tests only).
    REDIS_URL = None
    JOBS_SQLITE_PATH = None  # default instance/jobs.sqlite3
    JOBS_IMMEDIATE = False
    JOBS_RESULT_FOLDER = None  # default instance/jobs: result files and uploads of jobs
    # Files (portal.storage.files): the instance folder unless S3_BUCKET is set, then an
    # S3-compatible object store through boto3 (the `s3` extra), e.g. for several app servers
    S3_BUCKET = None
    S3_ENDPOINT_URL = None  # None: AWS; MinIO, SeaweedFS, Ceph RGW: their address
    S3_REGION = None
    S3_ACCESS_KEY_ID = None  # None (both): boto3's own chain (AWS_* variables, an instance role)
    S3_SECRET_ACCESS_KEY = None
    S3_PREFIX = ""  # keys are <prefix><area>/<name>: several instances may share a bucket
    S3_ADDRESSING_STYLE = "path"  # or "virtual" (bucket.host), as the store wants
    # The public page cache's generation shared by this machine's processes when REDIS_URL is
    # not set (portal.pagecache); with REDIS_URL it is kept in Redis
    PAGE_CACHE_GENERATION_PATH = None  # default instance/page-cache.generation
    # Reading every row of an uploaded workbook (in the job or the command line) runs in a child
    # process stopped after this many seconds or this much memory beyond its parent's (23.1)
    IMPORT_PARSE_SECONDS = 120
    IMPORT_PARSE_MEMORY_MB = 512
    # Storage: staff see a banner below this much free space or when the instance cannot be
    # written (checked at most every STORAGE_CHECK_SECONDS per process)
    STORAGE_MIN_FREE_BYTES = 500 * 1024 * 1024
    STORAGE_CHECK_SECONDS = 60
    FORM_TOKEN_HOURS = (
        24  # a form opened longer ago is refused (re-open it) rather than saved twice
    )
    BACKUP_FOLDER = None  # default instance/backups: the nightly database backups
    BACKUP_KEEP = 14  # nightly backups kept (the oldest beyond are removed)

    # The audit chain's HMAC key; instance/audit_key (made on first start) when not set.
    AUDIT_KEY = None
    # 0: audit events are kept (the default, issue 22.9); otherwise at least 6 months, and the
    # events explaining a registered year are exported to AUDIT_EXPORT_FOLDER before they go
    AUDIT_RETENTION_MONTHS = 0
    AUDIT_EXPORT_FOLDER = None  # default instance/audit-exports
    AUDIT_REFUSAL_WINDOW_SECONDS = 60  # one refused-access event per subject and kind per window


PRIVATE_DIR = 0o700  # instance/ and evidence/: the service account alone
PRIVATE_FILE = 0o600  # secret_key and the SQLite database (its -wal and -shm follow its mode)


def _tolerated(path: Path, error: OSError) -> None:
    """An existing instance that cannot be changed (mounted read-only, another owner's) does not
    stop the start (issue 23.3): the public pages and logins are served, and the staff banner
    (portal.storage) says the storage cannot be written. A missing one still fails."""
    if not path.exists():
        raise error
    logging.getLogger(__name__).warning("instance not writable, starting read-only: %s", error)


def private_dir(path: str | Path) -> Path:
    """Create (or tighten) a folder only the service account may enter."""
    path = Path(path)
    try:
        path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        os.chmod(path, PRIVATE_DIR)
    except OSError as error:
        _tolerated(path, error)
    return path


def private_file(path: str | Path) -> Path:
    """Create the file empty with mode 600 unless it exists (never a moment readable by all),
    and tighten an existing one."""
    path = Path(path)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    except FileExistsError:
        try:
            os.chmod(path, PRIVATE_FILE)
        except OSError as error:
            _tolerated(path, error)
    except OSError as error:
        _tolerated(path, error)
    return path


def _secret_key(instance_path: str, name: str = "secret_key") -> str:
    """Read one of the instance's keys (secret_key, audit_key), generating it on first start."""
    path = Path(instance_path) / name
    if not path.exists():
        private_file(path)
        path.write_text(secrets.token_hex(32))
    private_file(path)  # tightened (where it can be)
    return path.read_text().strip()


def _sqlite_file(url: str) -> str | None:
    """The file of a SQLite URL, None for another database or an in-memory one."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return parsed.database


def load(app, test_config: dict | None) -> None:
    app.config.from_object(Defaults)
    private_dir(app.instance_path)
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
    if app.config["HTTPS"]:
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
        app.config["PREFERRED_URL_SCHEME"] = "https"
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app.instance_path)
    if not app.config.get("AUDIT_KEY"):
        # The audit chain's HMAC key: outside the database, so that whoever can write the
        # database still cannot fix up an edited audit event (portal.audit.chain).
        app.config["AUDIT_KEY"] = _secret_key(app.instance_path, "audit_key")
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "connect_args": {"timeout": 15},
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
        }
    private_dir(app.config["UPLOAD_FOLDER"])
    database = _sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"])
    if database:
        # Flask-SQLAlchemy reads a relative SQLite path from the instance folder
        private_file(
            os.path.join(app.instance_path, database)
        )  # SQLite then opens it as it is: 600, and so are -wal and -shm
