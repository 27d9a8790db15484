"""Configuration from the environment.

Every setting has a development default so that `make run` works on a fresh
machine; production sets them through the environment or a `.env` file (see
`.env.example`, generated from this class by `python -m core.config_doc`).
`APP_ENV` (default `production`) says whether the defaults may be used: in
production `create_app` refuses to start while an unsafe default is in force
(`check_production`), naming every one of them.
"""
from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent

APP_ENVS = ("development", "test", "production")

# Development defaults that must not reach production (the fake WeChat's and the demo's values).
DEMO_DEFAULTS = {
    "SECRET_KEY": "dev-only-secret-change-me",
    "WECHAT_MINIAPP_APPID": "wx-demo-miniapp",
    "WECHAT_MINIAPP_SECRET": "demo-miniapp-secret",
    "WECOM_CORP_ID": "ww-demo-corp",
    "WECOM_SECRET": "demo-wecom-secret",
    "WECOM_ROBOT_KEY": "demo-robot-key",
    "WECHAT_PUSH_TOKEN": "demo-push-token",
    "WECHAT_PUSH_AES_KEY": "ZGVtby1taW5pYXBwLXB1c2gtYWVzLWtleS0zMmJ5dGU",
    "WECOM_CALLBACK_TOKEN": "demo-wecom-token",
    "WECOM_CALLBACK_AES_KEY": "ZGVtby13ZWNvbS1jYWxsYmFjay1hZXMta2V5LTMyYnk",
}
# Settings whose value must not point at this machine in production.
NOT_LOOPBACK = ("PUBLIC_BASE_URL", "WECHAT_API_BASE_URL", "WECOM_API_BASE_URL")

# While not None, every environment variable a Config reads is appended as (name, default):
# how core.config_doc lists the settings.
_read: list[tuple[str, str | None]] | None = None


def _env(name: str, default: str | None = None) -> str | None:
    if _read is not None:
        _read.append((name, default))
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def declared_settings() -> list[tuple[str, str | None]]:
    """Every environment variable Config reads, with its default, in the class's order."""
    global _read
    _read = []
    try:
        Config()
        seen: dict[str, str | None] = {}
        for name, default in _read:
            seen.setdefault(name, default)
        return list(seen.items())
    finally:
        _read = None


def load_env_file() -> Path | None:
    """Load `ENV_FILE` (default `.env` in the checkout) into the environment when present.

    Variables already set in the environment win. `ENV_FILE=-` loads nothing (`make run` does
    so: the quick start never picks up a production database from a `.env`).
    """
    from dotenv import load_dotenv

    name = os.environ.get("ENV_FILE") or ".env"
    if name == "-":
        return None
    path = Path(name) if Path(name).is_absolute() else ROOT / name
    if not path.is_file():
        return None
    load_dotenv(path, override=False)
    return path


class UnsafeSettings(RuntimeError):
    """Production settings still at a development default; the message names them."""


def _is_loopback_url(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def unsafe_settings(config: Mapping[str, object]) -> list[str]:
    """The settings of `config` that must not be used in production, each with the reason."""
    problems = [f"{name} (the development default)" for name, default in DEMO_DEFAULTS.items()
                if config.get(name) == default]
    if str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite"):
        problems.append("DATABASE_URL (unset: the quick start's SQLite file)")
    if not config.get("REDIS_URL"):
        problems.append("REDIS_URL (unset: jobs run inside the web process, limits per process)")
    problems += [f"{name} ({config.get(name)}: this machine)" for name in NOT_LOOPBACK
                 if _is_loopback_url(str(config.get(name) or ""))]
    return problems


def check_production(config: Mapping[str, object]) -> None:
    """Refuse to start in production with unsafe defaults; development and test start with any."""
    app_env = config.get("APP_ENV")
    if app_env not in APP_ENVS:
        raise UnsafeSettings(f"APP_ENV={app_env!r}: expected one of {', '.join(APP_ENVS)}")
    if app_env != "production" or config.get("TESTING"):
        return
    problems = unsafe_settings(config)
    if problems:
        raise UnsafeSettings(
            "refusing to start with APP_ENV=production and unsafe settings: " + "; ".join(problems)
            + ". Set them in the environment or .env (see .env.example), or APP_ENV=development "
            "for a development or demo machine.")


def _int(name: str, default: int) -> int:
    return int(_env(name, str(default)))


def _list(name: str) -> list[str]:
    return [item.strip() for item in (_env(name, "") or "").split(",") if item.strip()]


def _list_or(name: str, default: str) -> list[str]:
    """A comma list with a default; "-" for an empty list."""
    value = _env(name, default)
    return [] if value.strip() == "-" else [item.strip() for item in value.split(",") if item.strip()]


def _grade_years(name: str, default: str) -> dict[int, int]:
    """"1:6,2:6,3:3" -> {1: 6, 2: 6, 3: 3} (安全状况等级: years to the next periodic inspection)."""
    pairs = (item.partition(":") for item in _list_or(name, default))
    return {int(grade): int(years) for grade, _, years in pairs}


def _region_codes(name: str) -> dict[str, list[str]]:
    """"610100:3000,610100:4000" -> {"610100": ["3000", "4000"]}."""
    result: dict[str, list[str]] = {}
    for pair in _list(name):
        region, _, code = pair.partition(":")
        result.setdefault(region.strip(), []).append(code.strip().upper())
    return result


def _database_url() -> str:
    url = _env("DATABASE_URL")
    if url is None:
        return f"sqlite:///{ROOT / 'var' / 'platform.sqlite3'}"
    # SQLAlchemy 2.1 maps plain postgresql:// to psycopg 3; keep it explicit.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


class Config:
    """Settings read once when the app is created."""

    def __init__(self, **overrides: object) -> None:
        self.APP_ENV = _env("APP_ENV", "production")
        self.ENV_FILE = _env("ENV_FILE", ".env")
        self.SECRET_KEY = _env("SECRET_KEY", DEMO_DEFAULTS["SECRET_KEY"])
        self.SQLALCHEMY_DATABASE_URI = _database_url()
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.REDIS_URL = _env("REDIS_URL")
        self.RQ_DEFAULT_TIMEOUT = _int("RQ_DEFAULT_TIMEOUT", 300)
        # Work waiting this long with no live rq job (its enqueue was lost) is enqueued again.
        self.JOB_SWEEP_GRACE_SECONDS = _int("JOB_SWEEP_GRACE_SECONDS", 600)
        # A job rq still calls `started` whose last heartbeat is older than its timeout plus this
        # is dead (its worker was killed) and the sweep enqueues its work again.
        self.JOB_STALE_HEARTBEAT_SECONDS = _int("JOB_STALE_HEARTBEAT_SECONDS", 120)
        # `flask worker` / `flask cron` wait this long after losing Redis, doubling up to the max.
        self.REDIS_RECONNECT_BASE_SECONDS = _int("REDIS_RECONNECT_BASE_SECONDS", 1)
        self.REDIS_RECONNECT_MAX_SECONDS = _int("REDIS_RECONNECT_MAX_SECONDS", 60)
        # Per kind of work (core.work), rq's job_timeout in seconds: a run past it is killed, its
        # row fails or waits for the sweep. Periodic jobs have theirs in jobs/schedule.py.
        self.IMPORT_JOB_TIMEOUT = _int("IMPORT_JOB_TIMEOUT", 30 * 60)
        self.CODE_ASSIGN_JOB_TIMEOUT = _int("CODE_ASSIGN_JOB_TIMEOUT", 30 * 60)
        self.LABEL_SHEET_JOB_TIMEOUT = _int("LABEL_SHEET_JOB_TIMEOUT", 30 * 60)
        self.THUMBNAIL_JOB_TIMEOUT = _int("THUMBNAIL_JOB_TIMEOUT", 2 * 60)
        self.PERIODIC_REPORT_JOB_TIMEOUT = _int("PERIODIC_REPORT_JOB_TIMEOUT", 10 * 60)
        self.NOTIFY_DELIVERY_JOB_TIMEOUT = _int("NOTIFY_DELIVERY_JOB_TIMEOUT", 60)
        self.PUBLIC_BASE_URL = _env("PUBLIC_BASE_URL", "http://127.0.0.1:8000")
        # Behind a reverse proxy: how many proxies set X-Forwarded-For (the client address, for rate limits).
        self.PROXY_FIX_X_FOR = _int("PROXY_FIX_X_FOR", 0)
        # Logs on stderr: "json" (one object a line, for collectors), "text" (a terminal) or "none"
        # (leave logging to the host, e.g. a test runner); LOG_LEVEL is the root logger's level.
        self.LOG_FORMAT = _env("LOG_FORMAT", "json")
        self.LOG_LEVEL = _env("LOG_LEVEL", "INFO")
        # Anonymous requests under these paths that succeed write no access line (the public scan and
        # page: the busiest paths, counted per client in Redis and logged by the reverse proxy).
        self.ACCESS_LOG_QUIET_PREFIXES = tuple(_list_or("ACCESS_LOG_QUIET_PREFIXES", "/api/v1/scan/,/c/"))

        # WeChat: every call goes through wechatpy to these base URLs.
        self.WECHAT_API_BASE_URL = _env("WECHAT_API_BASE_URL", "http://127.0.0.1:8001/")
        self.WECHAT_MINIAPP_APPID = _env("WECHAT_MINIAPP_APPID", DEMO_DEFAULTS["WECHAT_MINIAPP_APPID"])
        self.WECHAT_MINIAPP_SECRET = _env("WECHAT_MINIAPP_SECRET", DEMO_DEFAULTS["WECHAT_MINIAPP_SECRET"])
        self.WECHAT_TIMEOUT_SECONDS = float(_env("WECHAT_TIMEOUT_SECONDS", "5"))
        # Without REDIS_URL the processes share access tokens through this file (fcntl-locked).
        self.WECHAT_TOKEN_FILE = _env("WECHAT_TOKEN_FILE", str(ROOT / "var" / "wechat_tokens.json"))
        self.WECOM_API_BASE_URL = _env("WECOM_API_BASE_URL", "http://127.0.0.1:8001/wecom/")
        self.WECOM_CORP_ID = _env("WECOM_CORP_ID", DEMO_DEFAULTS["WECOM_CORP_ID"])
        self.WECOM_SECRET = _env("WECOM_SECRET", DEMO_DEFAULTS["WECOM_SECRET"])
        self.WECOM_AGENT_ID = _env("WECOM_AGENT_ID", "1000002")
        self.WECOM_ROBOT_KEY = _env("WECOM_ROBOT_KEY", DEMO_DEFAULTS["WECOM_ROBOT_KEY"])

        # Accounts and tokens.
        self.TOKEN_TTL_HOURS_MINIAPP = _int("TOKEN_TTL_HOURS_MINIAPP", 24 * 7)
        self.TOKEN_TTL_HOURS_PC = _int("TOKEN_TTL_HOURS_PC", 12)
        self.BIND_TICKET_TTL_SECONDS = _int("BIND_TICKET_TTL_SECONDS", 600)
        self.INVITATION_TTL_DAYS = _int("INVITATION_TTL_DAYS", 7)
        # Reminder lead time before a person's certificate or a unit's licence expires.
        self.CERTIFICATE_EXPIRY_LEAD_DAYS = _int("CERTIFICATE_EXPIRY_LEAD_DAYS", 30)
        self.PASSWORD_HASH_METHOD = _env("PASSWORD_HASH_METHOD", "scrypt")
        self.LOGIN_MAX_FAILURES = _int("LOGIN_MAX_FAILURES", 5)
        self.LOGIN_LOCK_MINUTES = _int("LOGIN_LOCK_MINUTES", 15)

        # Uploads.
        self.UPLOAD_DIR = _env("UPLOAD_DIR", str(ROOT / "var" / "uploads"))
        self.UPLOAD_MAX_BYTES = _int("UPLOAD_MAX_BYTES", 20 * 1024 * 1024)
        self.MAX_CONTENT_LENGTH = self.UPLOAD_MAX_BYTES + 1024 * 1024
        # An image is decoded whole at upload; beyond this many pixels it is refused (a "PNG bomb"
        # of a few KB can expand to gigabytes). 50 M pixels is well above a phone camera's photo.
        self.IMAGE_MAX_PIXELS = _int("IMAGE_MAX_PIXELS", 50_000_000)

        # Pagination.
        self.PAGE_SIZE_DEFAULT = _int("PAGE_SIZE_DEFAULT", 20)
        self.PAGE_SIZE_MAX = _int("PAGE_SIZE_MAX", 100)

        # Working-day calendar: public holidays and make-up working days (ISO dates, comma separated).
        self.HOLIDAYS = _list("HOLIDAYS")
        self.EXTRA_WORKDAYS = _list("EXTRA_WORKDAYS")

        # Equipment registration (TSG 08-2017). Facts marked (mem?) in domain.md are settings.
        self.PROVINCE_ABBR = _env("PROVINCE_ABBR", "陕")
        # The registration office is the city's regulator; cities listed here delegate to their counties.
        self.REGISTRATION_DELEGATED_CITIES = _list("REGISTRATION_DELEGATED_CITIES")
        # Scope (陕市监发〔2024〕454号, domain.md §10): catalogue codes (a 种类/类别/品种 covers the codes
        # under it) outside lifecycle business and outside inspection, and per region (its subtree)
        # the codes outside lifecycle business: "610100:3000" (Xi'an's elevators; production sets it,
        # the demo's units stand in Xi'an).
        self.LIFECYCLE_EXCLUDED_CATEGORIES = _list_or("LIFECYCLE_EXCLUDED_CATEGORIES", "8100,8200")
        self.INSPECTION_EXCLUDED_CATEGORIES = _list_or("INSPECTION_EXCLUDED_CATEGORIES", "8100,8200")
        self.LIFECYCLE_EXCLUDED_REGION_KINDS = _region_codes("LIFECYCLE_EXCLUDED_REGION_KINDS")
        self.REGISTRATION_TURNAROUND_WORKDAYS = _int("REGISTRATION_TURNAROUND_WORKDAYS", 15)
        self.REGISTRATION_TIME_LIMIT_DAYS = _int("REGISTRATION_TIME_LIMIT_DAYS", 30)
        self.SUSPENSION_REPORT_DAYS = _int("SUSPENSION_REPORT_DAYS", 30)
        self.MAINTENANCE_FILING_DEADLINE_DAYS = _int("MAINTENANCE_FILING_DEADLINE_DAYS", 30)
        self.MAINTENANCE_INTERVAL_DAYS_DEFAULT = _int("MAINTENANCE_INTERVAL_DAYS_DEFAULT", 15)
        self.INSPECTION_DUE_SOON_DAYS = _int("INSPECTION_DUE_SOON_DAYS", 30)
        # 业务开通: which regulators decide an inspection agency's declared scope ("province", or "city":
        # the city over the agency's region; the province may always decide).
        self.INSPECTION_APPROVAL_LEVEL = _env("INSPECTION_APPROVAL_LEVEL", "province")
        # domain.md §3.1 (a local rule, so settings): the agency plans within this many working days
        # of accepting an application, and reports within this many working days of the inspection.
        self.INSPECTION_PLAN_WORKDAYS = _int("INSPECTION_PLAN_WORKDAYS", 5)
        self.INSPECTION_REPORT_WORKDAYS = _int("INSPECTION_REPORT_WORKDAYS", 10)
        # Rows above this run as an rq job with progress; smaller files are checked at once.
        self.IMPORT_INLINE_MAX_ROWS = _int("IMPORT_INLINE_MAX_ROWS", 500)
        self.IMPORT_MAX_ROWS = _int("IMPORT_MAX_ROWS", 50000)
        # An .xlsx is a zip: bounds on what an import file may hold once uncompressed, checked in the
        # zip's directory before any part is read (a 50,000-row sheet is ~60 MB of XML, ratio ~10).
        self.IMPORT_MAX_SHEET_BYTES = _int("IMPORT_MAX_SHEET_BYTES", 128 * 1024 * 1024)
        self.IMPORT_MAX_SHARED_STRINGS_BYTES = _int("IMPORT_MAX_SHARED_STRINGS_BYTES", 32 * 1024 * 1024)
        self.IMPORT_MAX_PART_BYTES = _int("IMPORT_MAX_PART_BYTES", 4 * 1024 * 1024)  # styles, workbook, ...
        self.IMPORT_MAX_COMPRESSION_RATIO = _int("IMPORT_MAX_COMPRESSION_RATIO", 100)
        self.IMPORT_MAX_PARTS = _int("IMPORT_MAX_PARTS", 1000)
        # Row and cell elements streamed from the sheet, shared strings kept, header columns read.
        self.IMPORT_MAX_CELLS = _int("IMPORT_MAX_CELLS", 3_000_000)
        self.IMPORT_MAX_SHARED_STRINGS = _int("IMPORT_MAX_SHARED_STRINGS", 1_000_000)
        self.IMPORT_MAX_COLUMNS = _int("IMPORT_MAX_COLUMNS", 64)
        self.EXPORT_MAX_ROWS = _int("EXPORT_MAX_ROWS", 100000)

        # One-code labels and the public scan.
        self.LABEL_FONT_PATH = _env("LABEL_FONT_PATH", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
        self.RESCUE_PHONE = _env("RESCUE_PHONE", "96333")
        self.MINIAPP_SCAN_PAGE = _env("MINIAPP_SCAN_PAGE", "pages/scan/index")
        self.PUBLIC_CACHE_SECONDS = _int("PUBLIC_CACHE_SECONDS", 300)
        self.PUBLIC_RATE_LIMIT_PER_MINUTE = _int("PUBLIC_RATE_LIMIT_PER_MINUTE", 120)
        self.LABEL_JOB_INLINE_MAX = _int("LABEL_JOB_INLINE_MAX", 0)

        # Risk monitoring: each level's handling deadline in working days (the guidance leaves them to us).
        self.RISK_DEADLINE_WORKDAYS = {
            "county": _int("RISK_DEADLINE_WORKDAYS_COUNTY", 5),
            "city": _int("RISK_DEADLINE_WORKDAYS_CITY", 5),
            "province": _int("RISK_DEADLINE_WORKDAYS_PROVINCE", 10),
            "implementing": _int("RISK_DEADLINE_WORKDAYS_IMPLEMENTING", 10),
        }
        self.RISK_REMINDER_WORKDAYS_BEFORE = _int("RISK_REMINDER_WORKDAYS_BEFORE", 1)
        self.RISK_MAX_PHOTOS = _int("RISK_MAX_PHOTOS", 9)

        # Inspection intervals (domain.md §3.2; docs/inspection-intervals.md): every one a setting.
        # Elevators (TSG T7001-2023): periodic inspection in these years of the list counted from the
        # 安装/改造 监督检验合格日期, a self-test (TSG T7008-2023) in the other years up to ELEVATOR_LIST_YEARS,
        # then a periodic inspection every ELEVATOR_INTERVAL_AFTER_LIST_YEARS.
        self.ELEVATOR_PERIODIC_YEARS = tuple(int(n) for n in _list_or("ELEVATOR_PERIODIC_YEARS", "1,4,7,9,11,13,15"))
        self.ELEVATOR_LIST_YEARS = _int("ELEVATOR_LIST_YEARS", 15)
        self.ELEVATOR_INTERVAL_AFTER_LIST_YEARS = _int("ELEVATOR_INTERVAL_AFTER_LIST_YEARS", 1)
        # How early an inspection may be done without shifting later dates (it counts for its list year).
        self.ELEVATOR_EARLY_MONTHS = _int("ELEVATOR_EARLY_MONTHS", 2)
        self.ELEVATOR_SELF_TEST_EARLY_MONTHS = _int("ELEVATOR_SELF_TEST_EARLY_MONTHS", 1)
        self.BOILER_EXTERNAL_MONTHS = _int("BOILER_EXTERNAL_MONTHS", 12)
        self.BOILER_INTERNAL_MONTHS = _int("BOILER_INTERNAL_MONTHS", 24)
        # Vessels (TSG 21-2016) and industrial pipes (TSG D7005-2018): first inspection within so many
        # years of putting into use, then by 安全状况等级 (grade:years; a grade not listed may not be used).
        self.VESSEL_FIRST_INSPECTION_YEARS = _int("VESSEL_FIRST_INSPECTION_YEARS", 3)
        self.VESSEL_GRADE_YEARS = _grade_years("VESSEL_GRADE_YEARS", "1:6,2:6,3:3,4:3")
        self.MOBILE_VESSEL_GRADE_YEARS = _grade_years("MOBILE_VESSEL_GRADE_YEARS", "1:5,2:5,3:3,4:3")
        self.PIPE_FIRST_INSPECTION_YEARS = _int("PIPE_FIRST_INSPECTION_YEARS", 3)
        self.PIPE_GRADE_YEARS = _grade_years("PIPE_GRADE_YEARS", "1:6,2:6,3:3")
        self.ANNUAL_CHECK_MONTHS = _int("ANNUAL_CHECK_MONTHS", 12)
        # Cranes (TSG Q7015-2016): these catalogue codes (with what is under them) yearly, the rest less often.
        self.CRANE_YEARLY_CATEGORIES = _list_or("CRANE_YEARLY_CATEGORIES", "4150,4300,4400,4800")
        self.CRANE_YEARLY_MONTHS = _int("CRANE_YEARLY_MONTHS", 12)
        self.CRANE_OTHER_MONTHS = _int("CRANE_OTHER_MONTHS", 24)
        self.OTHER_INSPECTION_MONTHS = _int("OTHER_INSPECTION_MONTHS", 12)
        # Use units are reminded this many months before each due date (条例 §28: apply a month before).
        self.INSPECTION_REMIND_MONTHS = _int("INSPECTION_REMIND_MONTHS", 1)

        # The two regulations.
        self.FINDING_GENERAL_DEADLINE_DAYS = _int("FINDING_GENERAL_DEADLINE_DAYS", 7)
        # Problems an inspection report lists: at most so many per report; a problem without its own
        # rectification deadline gets this many days after the report date.
        self.INSPECTION_RESULT_MAX_PROBLEMS = _int("INSPECTION_RESULT_MAX_PROBLEMS", 100)
        self.INSPECTION_FINDING_DEADLINE_DAYS = _int("INSPECTION_FINDING_DEADLINE_DAYS", 30)
        self.DAILY_CHECK_SCAN_TTL_SECONDS = _int("DAILY_CHECK_SCAN_TTL_SECONDS", 12 * 3600)
        self.DAILY_CHECK_REMINDER_HOUR = _int("DAILY_CHECK_REMINDER_HOUR", 17)
        self.CHECKS_REMINDER_HOUR = _int("CHECKS_REMINDER_HOUR", 9)
        self.WEEKLY_REPORT_REMINDER_WEEKDAY = _int("WEEKLY_REPORT_REMINDER_WEEKDAY", 4)
        self.MONTHLY_MINUTES_REMINDER_DAY = _int("MONTHLY_MINUTES_REMINDER_DAY", 25)
        self.CHECKS_BEHIND_THRESHOLD = float(_env("CHECKS_BEHIND_THRESHOLD", "0.8"))

        # Idempotency keys are kept this long.
        self.IDEMPOTENCY_TTL_HOURS = _int("IDEMPOTENCY_TTL_HOURS", 48)

        # Notifications and the bot.
        # Platform template -> subscribe-message template, as JSON (see README); empty: inbox only.
        self.WECHAT_SUBSCRIBE_TEMPLATES = _env("WECHAT_SUBSCRIBE_TEMPLATES", "{}")
        self.NOTIFY_MAX_ATTEMPTS = _int("NOTIFY_MAX_ATTEMPTS", 10)
        self.NOTIFY_RETRY_BASE_SECONDS = _int("NOTIFY_RETRY_BASE_SECONDS", 60)
        self.NOTIFY_RETRY_MAX_SECONDS = _int("NOTIFY_RETRY_MAX_SECONDS", 3600)
        self.NOTIFY_SWEEP_BATCH = _int("NOTIFY_SWEEP_BATCH", 500)
        self.NOTIFY_ALERT_THRESHOLD = _int("NOTIFY_ALERT_THRESHOLD", 5)
        # A message due this long and still not delivered (a worker that keeps dying on it) is
        # marked failed and the ops group alerted; longer than the whole back-off ladder (~4 h).
        self.NOTIFY_GIVE_UP_SECONDS = _int("NOTIFY_GIVE_UP_SECONDS", 12 * 3600)
        # The mini program's message push (开发管理 - 消息推送), safe mode, JSON.
        self.WECHAT_PUSH_TOKEN = _env("WECHAT_PUSH_TOKEN", DEMO_DEFAULTS["WECHAT_PUSH_TOKEN"])
        self.WECHAT_PUSH_AES_KEY = _env("WECHAT_PUSH_AES_KEY", DEMO_DEFAULTS["WECHAT_PUSH_AES_KEY"])
        # The WeCom app's callback (接收消息), for the ops commands.
        self.WECOM_CALLBACK_TOKEN = _env("WECOM_CALLBACK_TOKEN", DEMO_DEFAULTS["WECOM_CALLBACK_TOKEN"])
        self.WECOM_CALLBACK_AES_KEY = _env("WECOM_CALLBACK_AES_KEY", DEMO_DEFAULTS["WECOM_CALLBACK_AES_KEY"])
        # WeCom user ids allowed to give ops commands; empty: every member who can see the app.
        self.WECOM_OPS_USERS = _list("WECOM_OPS_USERS")
        self.BOT_PUSH_MAX_AGE_SECONDS = _int("BOT_PUSH_MAX_AGE_SECONDS", 300)
        self.BOT_OPS_PHONE = _env("BOT_OPS_PHONE", "029-85736598、029-85736599")

        # Machine callers (integration_api, /open/v1): signed requests.
        # A request's X-Timestamp may differ from the server's clock by at most this much either way;
        # nonces are remembered for twice as long.
        self.OPEN_SIGNATURE_WINDOW_SECONDS = _int("OPEN_SIGNATURE_WINDOW_SECONDS", 300)
        # Requests per client per minute (0: no limit); a client's own `rate_limit_per_minute` overrides it.
        self.OPEN_RATE_LIMIT_PER_MINUTE = _int("OPEN_RATE_LIMIT_PER_MINUTE", 600)
        self.OPEN_BATCH_MAX_RECORDS = _int("OPEN_BATCH_MAX_RECORDS", 500)
        # Inspection results per POST /open/v1/inspection/results (more is refused whole).
        self.INSPECTION_RESULTS_BATCH_MAX = _int("INSPECTION_RESULTS_BATCH_MAX", 1000)
        # The open read API's cursor pages (/open/v1/requests, /open/v1/equipment): default and largest page.
        self.OPEN_PAGE_SIZE_DEFAULT = _int("OPEN_PAGE_SIZE_DEFAULT", 100)
        self.OPEN_PAGE_SIZE_MAX = _int("OPEN_PAGE_SIZE_MAX", 500)
        # Which devices an inspection agency's system reads by 设备代码 (GET /open/v1/equipment/<code>):
        # "applications" (those with an application to the agency) or "region" (also those in the regions
        # and categories of its approved scope, 业务开通). Any other value reads as "applications".
        self.INSPECTION_OPEN_EQUIPMENT_REACH = _env("INSPECTION_OPEN_EQUIPMENT_REACH", "applications")

        # OpenAPI (flask-smorest).
        self.API_TITLE = "陕西省特种设备智慧监管平台 API"
        self.API_VERSION = "v1"
        self.OPENAPI_VERSION = "3.0.3"
        self.OPENAPI_URL_PREFIX = "/api"
        self.OPENAPI_JSON_PATH = "openapi.json"
        # Swagger UI at /api/docs and /open/v1/docs; its scripts come from the pinned swagger-ui-bundle
        # package, served by the app itself (web.docs), never from a CDN.
        self.OPENAPI_SWAGGER_UI_PATH = "docs"
        self.OPENAPI_SWAGGER_UI_URL = "/api/docs/assets/"
        # The machine API's own document (integration_api, flask-smorest config_prefix "OPEN").
        self.OPEN_API_TITLE = "陕西省特种设备智慧监管平台 开放接口"
        self.OPEN_API_VERSION = "v1"
        self.OPEN_OPENAPI_VERSION = "3.0.3"
        self.OPEN_OPENAPI_URL_PREFIX = "/open/v1"
        self.OPEN_OPENAPI_JSON_PATH = "openapi.json"
        self.OPEN_OPENAPI_SWAGGER_UI_PATH = "docs"
        self.OPEN_OPENAPI_SWAGGER_UI_URL = "/api/docs/assets/"
        self.JSON_AS_ASCII = False
        self.TESTING = False

        for key, value in overrides.items():
            setattr(self, key, value)
