"""`.env.example`, generated from core.config.Config: `python -m core.config_doc` rewrites it.

Each setting Config reads is listed with its default and the one-line description below
(tests/core/test_settings.py fails when a setting has none or the file is stale). Defaults
that are paths in the checkout, or unset, are written commented out.
"""
from __future__ import annotations

import sys

from core.config import DEMO_DEFAULTS, NOT_LOOPBACK, ROOT, declared_settings

HEADER = """\
# Every setting, generated from core/config.py by `python -m core.config_doc` (do not edit by hand).
# The app reads the process environment and, when present, the file ENV_FILE (default .env in the
# checkout; variables already in the environment win). Copy this file to .env and change what you need.
# APP_ENV=production (the default) refuses to start while a value marked [production: change] keeps
# its default; `make run` sets APP_ENV=development and ENV_FILE=- and needs nothing from here.
"""

# Read from the process environment before any file: listed, commented out.
ENVIRONMENT_ONLY = {"ENV_FILE"}

# A heading printed before the setting named.
SECTIONS = {
    "APP_ENV": "The process",
    "RQ_DEFAULT_TIMEOUT": "Background jobs (rq); seconds",
    "PUBLIC_BASE_URL": "The public address",
    "WECHAT_API_BASE_URL": "WeChat mini program (code-to-session, subscribe messages, mini-program codes)",
    "WECOM_API_BASE_URL": "WeCom (ops group robot and app messages)",
    "TOKEN_TTL_HOURS_MINIAPP": "Accounts",
    "UPLOAD_DIR": "Uploads",
    "PAGE_SIZE_DEFAULT": "Pagination",
    "HOLIDAYS": "Working days: the State Council calendar (chinesecalendar) with these overrides",
    "PROVINCE_ABBR": "Equipment registration (TSG 08-2017) and scope (陕市监发〔2024〕454号)",
    "LABEL_FONT_PATH": "One-code labels and the public scan",
    "RISK_DEADLINE_WORKDAYS_COUNTY": "Risk monitoring: each level's handling deadline in working days",
    "ELEVATOR_PERIODIC_YEARS": "Inspection intervals (domain.md §3.2, docs/inspection-intervals.md)",
    "FINDING_GENERAL_DEADLINE_DAYS": "Checks and findings (the two regulations)",
    "WECHAT_SUBSCRIBE_TEMPLATES": "Notifications and the bot",
    "OPEN_SIGNATURE_WINDOW_SECONDS": "Machine callers (/open/v1, integration API)",
}

DESCRIPTIONS = {
    "APP_ENV": "development | test | production; production refuses the unsafe defaults, naming them",
    "ENV_FILE": "environment only: the file of settings loaded at start (relative to the checkout); - for none",
    "SECRET_KEY": "signs sessions and tokens: a long random string",
    "DATABASE_URL": "PostgreSQL, e.g. postgresql://platform:secret@127.0.0.1:5432/platform; unset: SQLite in var/",
    "REDIS_URL": "e.g. redis://127.0.0.1:6379/0; unset: jobs run in-process, tokens shared through a file",
    "RQ_DEFAULT_TIMEOUT": "a job's timeout when its kind sets none",
    "LOG_FORMAT": "json (one JSON object a line, with request id and caller), text, or none (leave logging to the host)",
    "LOG_LEVEL": "the root logger's level",
    "ACCESS_LOG_QUIET_PREFIXES": "paths whose successful anonymous requests write no access line (- for none)",
    "JOB_SWEEP_GRACE_SECONDS": "work waiting this long with no live rq job is enqueued again",
    "JOB_STALE_HEARTBEAT_SECONDS": "a started job silent for its timeout plus this is dead; its work is enqueued again",
    "REDIS_RECONNECT_BASE_SECONDS": "flask worker / flask cron: first wait after losing Redis, doubling",
    "REDIS_RECONNECT_MAX_SECONDS": "flask worker / flask cron: longest wait between reconnects",
    "IMPORT_JOB_TIMEOUT": "equipment import job",
    "CODE_ASSIGN_JOB_TIMEOUT": "one-code assignment job",
    "LABEL_SHEET_JOB_TIMEOUT": "label sheet (PDF) job",
    "THUMBNAIL_JOB_TIMEOUT": "photo thumbnail job",
    "PERIODIC_REPORT_JOB_TIMEOUT": "periodic report job",
    "NOTIFY_DELIVERY_JOB_TIMEOUT": "one notification delivery job",
    "PUBLIC_BASE_URL": "the address people and WeChat reach, e.g. https://tzsb.example.gov.cn",
    "PROXY_FIX_X_FOR": "behind nginx: how many proxies set X-Forwarded-For (client addresses for rate limits)",
    "WECHAT_API_BASE_URL": "https://api.weixin.qq.com/ in production; the default is the local fake",
    "WECHAT_MINIAPP_APPID": "the mini program's AppID",
    "WECHAT_MINIAPP_SECRET": "the mini program's AppSecret",
    "WECHAT_TIMEOUT_SECONDS": "timeout of one WeChat or WeCom call",
    "WECHAT_TOKEN_FILE": "without REDIS_URL: access tokens shared between processes (default var/ in the checkout)",
    "WECOM_API_BASE_URL": "https://qyapi.weixin.qq.com/ in production; the default is the local fake",
    "WECOM_CORP_ID": "the WeCom corp id",
    "WECOM_SECRET": "the WeCom app's secret",
    "WECOM_AGENT_ID": "the WeCom app's agent id",
    "WECOM_ROBOT_KEY": "the ops group robot's webhook key",
    "TOKEN_TTL_HOURS_MINIAPP": "mini program login token lifetime",
    "TOKEN_TTL_HOURS_PC": "PC login token lifetime",
    "BIND_TICKET_TTL_SECONDS": "a WeChat binding ticket's lifetime",
    "INVITATION_TTL_DAYS": "a staff invitation's lifetime",
    "CERTIFICATE_EXPIRY_LEAD_DAYS": "reminders this many days before a certificate (作业/检验/检测人员证) or licence expires",
    "PASSWORD_HASH_METHOD": "werkzeug password hash method",
    "LOGIN_MAX_FAILURES": "failed logins before the account is locked",
    "LOGIN_LOCK_MINUTES": "how long a locked account stays locked",
    "UPLOAD_DIR": "where uploaded files are kept (default var/uploads in the checkout)",
    "UPLOAD_MAX_BYTES": "largest upload; requests may be 1 MiB larger",
    "IMAGE_MAX_PIXELS": "larger images are refused (decompression bombs)",
    "PAGE_SIZE_DEFAULT": "items per page when the caller gives none",
    "PAGE_SIZE_MAX": "most items per page",
    "HOLIDAYS": "ISO dates always off (comma separated), over the official calendar",
    "EXTRA_WORKDAYS": "ISO dates always working days (comma separated), over the official calendar",
    "PROVINCE_ABBR": "the province's abbreviation in registration numbers",
    "REGISTRATION_DELEGATED_CITIES": "cities (region codes, comma separated) that delegate registration to their counties",
    "LIFECYCLE_EXCLUDED_CATEGORIES": "catalogue codes outside lifecycle business (8100 长输管道, 8200 公用管道; - for none)",
    "INSPECTION_EXCLUDED_CATEGORIES": "catalogue codes outside inspection (- for none)",
    "LIFECYCLE_EXCLUDED_REGION_KINDS": "region:code pairs outside lifecycle business; production: 610100:3000 (Xi'an elevators)",
    "REGISTRATION_TURNAROUND_WORKDAYS": "working days the registration office has to decide",
    "REGISTRATION_TIME_LIMIT_DAYS": "days after putting into use (or alteration, transfer) to apply for registration",
    "SUSPENSION_REPORT_DAYS": "days to report a suspension of use",
    "MAINTENANCE_FILING_DEADLINE_DAYS": "days to file a maintenance contract",
    "MAINTENANCE_INTERVAL_DAYS_DEFAULT": "days between maintenance visits when the contract sets none",
    "INSPECTION_DUE_SOON_DAYS": "an inspection due within this many days is shown as due soon",
    "ELEVATOR_PERIODIC_YEARS": "elevators: list years (from the 安装/改造 监督检验合格日期) with a periodic inspection; the others a self-test",
    "ELEVATOR_LIST_YEARS": "elevators: length of the year list; later, periodic inspections only",
    "ELEVATOR_INTERVAL_AFTER_LIST_YEARS": "elevators past the list: years between periodic inspections",
    "ELEVATOR_EARLY_MONTHS": "elevators: months a periodic inspection may be early and still count for its list year",
    "ELEVATOR_SELF_TEST_EARLY_MONTHS": "elevators: months a self-test may be early and still count for its list year",
    "BOILER_EXTERNAL_MONTHS": "boilers: months between external inspections (外部检验)",
    "BOILER_INTERNAL_MONTHS": "boilers: months between internal inspections (内部检验)",
    "VESSEL_FIRST_INSPECTION_YEARS": "pressure vessels: first periodic inspection within this many years of putting into use",
    "VESSEL_GRADE_YEARS": "fixed vessels and oxygen chambers: grade:years to the next periodic inspection (unlisted grade: no use)",
    "MOBILE_VESSEL_GRADE_YEARS": "mobile vessels: grade:years to the next full inspection (unlisted grade: no use)",
    "PIPE_FIRST_INSPECTION_YEARS": "industrial pipes: first periodic inspection within this many years of putting into use",
    "PIPE_GRADE_YEARS": "industrial pipes: grade:years to the next periodic inspection (unlisted grade: no use)",
    "ANNUAL_CHECK_MONTHS": "vessels and pipes: months between annual checks (年度检查)",
    "CRANE_YEARLY_CATEGORIES": "cranes inspected every CRANE_YEARLY_MONTHS (catalogue codes with what is under them)",
    "CRANE_YEARLY_MONTHS": "cranes of CRANE_YEARLY_CATEGORIES: months between periodic inspections",
    "CRANE_OTHER_MONTHS": "other cranes: months between periodic inspections",
    "OTHER_INSPECTION_MONTHS": "field vehicles, amusement rides, ropeways: months between periodic inspections",
    "INSPECTION_REMIND_MONTHS": "use units are reminded this many months before each inspection due date",
    "INSPECTION_APPROVAL_LEVEL": "who decides an inspection agency's declared scope (业务开通): province, or city (the city over the agency; the province always may)",
    "INSPECTION_PLAN_WORKDAYS": "working days after accepting an inspection application within which the agency plans it",
    "INSPECTION_REPORT_WORKDAYS": "working days after the planned inspection within which the agency records the result",
    "IMPORT_INLINE_MAX_ROWS": "imports above this many rows run as a job with progress",
    "IMPORT_MAX_ROWS": "largest import",
    "IMPORT_MAX_SHEET_BYTES": "an import's data sheet, uncompressed (read from the zip directory before anything is read)",
    "IMPORT_MAX_SHARED_STRINGS_BYTES": "an import's shared strings part, uncompressed",
    "IMPORT_MAX_PART_BYTES": "any other part of an import (workbook, styles, ...), uncompressed",
    "IMPORT_MAX_COMPRESSION_RATIO": "largest uncompressed / compressed ratio of an import's parts over 1 MB",
    "IMPORT_MAX_PARTS": "most parts (files) in an import's zip",
    "IMPORT_MAX_CELLS": "most cells read from an import's data sheet, blank ones included",
    "IMPORT_MAX_SHARED_STRINGS": "most shared strings in an import",
    "IMPORT_MAX_COLUMNS": "columns of an import's data sheet beyond this are ignored",
    "EXPORT_MAX_ROWS": "largest export",
    "LABEL_FONT_PATH": "a CJK font for labels and documents",
    "RESCUE_PHONE": "the rescue number printed on labels and scan pages",
    "MINIAPP_SCAN_PAGE": "the mini program page a label's code opens",
    "PUBLIC_CACHE_SECONDS": "cache lifetime of the public scan page",
    "PUBLIC_RATE_LIMIT_PER_MINUTE": "public scans per caller per minute",
    "LABEL_JOB_INLINE_MAX": "not read by the code at present",
    "RISK_DEADLINE_WORKDAYS_COUNTY": "county level",
    "RISK_DEADLINE_WORKDAYS_CITY": "city level",
    "RISK_DEADLINE_WORKDAYS_PROVINCE": "province level",
    "RISK_DEADLINE_WORKDAYS_IMPLEMENTING": "implementing unit",
    "RISK_REMINDER_WORKDAYS_BEFORE": "working days before a deadline that a reminder goes out",
    "RISK_MAX_PHOTOS": "photos per risk report",
    "FINDING_GENERAL_DEADLINE_DAYS": "days to rectify a general finding",
    "INSPECTION_RESULT_MAX_PROBLEMS": "most problems (findings) one inspection report may list",
    "INSPECTION_FINDING_DEADLINE_DAYS": "days after the report date to rectify an inspection problem given no deadline",
    "DAILY_CHECK_SCAN_TTL_SECONDS": "a daily check's scan stays valid this long",
    "DAILY_CHECK_REMINDER_HOUR": "hour of the daily check reminder",
    "CHECKS_REMINDER_HOUR": "hour of the weekly and monthly reminders",
    "WEEKLY_REPORT_REMINDER_WEEKDAY": "weekday of the weekly report reminder (0 Monday)",
    "MONTHLY_MINUTES_REMINDER_DAY": "day of the month of the monthly minutes reminder",
    "CHECKS_BEHIND_THRESHOLD": "a unit below this share of checks done is behind",
    "IDEMPOTENCY_TTL_HOURS": "idempotency keys are kept this long",
    "WECHAT_SUBSCRIBE_TEMPLATES": "platform message type -> subscribe template (JSON, see README); {} means inbox only",
    "NOTIFY_MAX_ATTEMPTS": "delivery attempts of one message",
    "NOTIFY_RETRY_BASE_SECONDS": "first retry delay, doubling",
    "NOTIFY_RETRY_MAX_SECONDS": "longest retry delay",
    "NOTIFY_SWEEP_BATCH": "messages per sweep",
    "NOTIFY_ALERT_THRESHOLD": "failed (24 h) plus long-retrying messages that alert the ops group",
    "NOTIFY_GIVE_UP_SECONDS": "a message due this long and still undelivered is failed and the ops group alerted",
    "WECHAT_PUSH_TOKEN": "mini program message push (safe mode, JSON), URL <PUBLIC_BASE_URL>/bot/miniapp: token",
    "WECHAT_PUSH_AES_KEY": "mini program message push: EncodingAESKey",
    "WECOM_CALLBACK_TOKEN": "WeCom app callback, URL <PUBLIC_BASE_URL>/bot/wecom: token",
    "WECOM_CALLBACK_AES_KEY": "WeCom app callback: EncodingAESKey",
    "WECOM_OPS_USERS": "WeCom user ids allowed ops commands (comma separated); empty: everyone who sees the app",
    "BOT_PUSH_MAX_AGE_SECONDS": "pushes older than this are refused (replays)",
    "BOT_OPS_PHONE": "the ops phone numbers the bot gives",
    "OPEN_SIGNATURE_WINDOW_SECONDS": "allowed clock difference of X-Timestamp (nonces kept twice as long)",
    "OPEN_RATE_LIMIT_PER_MINUTE": "requests per client per minute (0: none; a client's own limit overrides it)",
    "OPEN_PAGE_SIZE_DEFAULT": "the open read API's page size when the caller names none",
    "OPEN_PAGE_SIZE_MAX": "the largest page the open read API gives",
    "INSPECTION_OPEN_EQUIPMENT_REACH": "devices an agency's system may read by code: applications (those with an application to it) or region (also those in its approved scope's regions and categories)",
    "OPEN_BATCH_MAX_RECORDS": "records per batch",
    "INSPECTION_RESULTS_BATCH_MAX": "inspection results per batch (POST /open/v1/inspection/results); more is refused whole",
}


def _line(name: str, default: str | None) -> str:
    if default is None or name in ENVIRONMENT_ONLY:
        return f"# {name}={default or ''}"
    if default.startswith(str(ROOT) + "/"):
        return f"# {name}={default[len(str(ROOT)) + 1:]}"
    return f"{name}={default}"


def env_example() -> str:
    """The text of `.env.example`; KeyError names a setting without a description."""
    lines = [HEADER.rstrip("\n")]
    for name, default in declared_settings():
        if name in SECTIONS:
            lines += ["", f"# -- {SECTIONS[name]}"]
        mark = " [production: change]" if name in DEMO_DEFAULTS or name in NOT_LOOPBACK else ""
        if name in ("DATABASE_URL", "REDIS_URL"):
            mark = " [production: set]"
        lines += [f"# {DESCRIPTIONS[name]}{mark}", _line(name, default)]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Write `.env.example` in the checkout (or print it with `-`)."""
    text = env_example()
    if sys.argv[1:] == ["-"]:
        sys.stdout.write(text)
    else:
        (ROOT / ".env.example").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
