"""Settings: .env.example is generated from Config, .env is read, production refuses unsafe defaults."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from app import create_app
from core.config import DEMO_DEFAULTS, ROOT, Config, UnsafeSettings, declared_settings
from core.config_doc import DESCRIPTIONS, env_example
from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL

SAFE = {
    "SECRET_KEY": "0f9c2d4e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a",
    "DATABASE_URL": "postgresql://platform:secret@db.internal:5432/platform",
    "REDIS_URL": "redis://redis.internal:6379/0",
    "PUBLIC_BASE_URL": "https://tzsb.example.gov.cn",
    "WECHAT_API_BASE_URL": "https://api.weixin.qq.com/",
    "WECOM_API_BASE_URL": "https://qyapi.weixin.qq.com/",
    **{name: f"real-{name.lower()}" for name in DEMO_DEFAULTS if name != "SECRET_KEY"},
}


def _clean_environment(monkeypatch) -> None:
    for name, _ in declared_settings():
        monkeypatch.delenv(name, raising=False)


def _process_env(**settings: str) -> dict[str, str]:
    """A process environment with none of the settings but those given."""
    names = {name for name, _ in declared_settings()}
    env = {key: value for key, value in os.environ.items() if key not in names}
    return {**env, "ENV_FILE": "-", **settings}


def test_env_example_lists_every_setting_as_generated_from_the_config_class():
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    assert text == env_example(), "run `python -m core.config_doc` (make env-example) and commit .env.example"


def test_every_setting_has_one_description():
    names = [name for name, _ in declared_settings()]
    assert sorted(names) == sorted(DESCRIPTIONS)
    for name in names:
        assert f"\n{name}=" in env_example() or f"\n# {name}=" in env_example()


def test_production_with_the_default_secret_refuses_to_start_naming_it(monkeypatch):
    _clean_environment(monkeypatch)
    with pytest.raises(UnsafeSettings) as refused:
        create_app(Config(APP_ENV="production"))
    message = str(refused.value)
    for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "PUBLIC_BASE_URL", "WECHAT_API_BASE_URL",
                 "WECHAT_MINIAPP_SECRET", "WECHAT_PUSH_TOKEN", "WECOM_CALLBACK_AES_KEY"):
        assert name in message


def test_production_with_only_the_default_secret_left_names_only_it(monkeypatch):
    _clean_environment(monkeypatch)
    for name, value in SAFE.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SECRET_KEY")
    with pytest.raises(UnsafeSettings, match="SECRET_KEY") as refused:
        create_app(Config(APP_ENV="production"))
    assert "DATABASE_URL" not in str(refused.value) and "WECHAT" not in str(refused.value)


def test_production_with_safe_settings_starts(monkeypatch):
    _clean_environment(monkeypatch)
    for name, value in SAFE.items():
        monkeypatch.setenv(name, value)
    app = create_app(Config(APP_ENV="production"))
    assert app.config["APP_ENV"] == "production"
    assert app.config["SECRET_KEY"] == SAFE["SECRET_KEY"]


@pytest.mark.parametrize("app_env", ["development", "test"])
def test_development_and_test_start_with_the_defaults(monkeypatch, app_env):
    _clean_environment(monkeypatch)
    app = create_app(Config(APP_ENV=app_env))
    assert app.config["SECRET_KEY"] == DEMO_DEFAULTS["SECRET_KEY"]


def test_an_unknown_app_env_refuses_to_start(monkeypatch):
    _clean_environment(monkeypatch)
    with pytest.raises(UnsafeSettings, match="APP_ENV"):
        create_app(Config(APP_ENV="prod", SECRET_KEY=SAFE["SECRET_KEY"]))


def test_the_wsgi_app_without_settings_refuses_to_start_and_says_why():
    result = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=ROOT, env=_process_env(),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "UnsafeSettings" in result.stderr and "SECRET_KEY (the development default)" in result.stderr


def test_the_quick_start_needs_no_settings_but_app_env_development():
    result = subprocess.run([sys.executable, "-c", "import wsgi; print(wsgi.app.config['SQLALCHEMY_DATABASE_URI'])"],
                            cwd=ROOT, env=_process_env(APP_ENV="development"), capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("sqlite:")


def test_a_dotenv_file_is_read_and_the_environment_wins(tmp_path):
    lines = [f"{name}={value}" for name, value in SAFE.items()]
    (tmp_path / "production.env").write_text("APP_ENV=production\n" + "\n".join(lines) + "\n", encoding="utf-8")
    script = "import wsgi; c = wsgi.app.config; print(c['SECRET_KEY'], c['REDIS_URL'], c['APP_ENV'])"
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={**_process_env(), "ENV_FILE": str(tmp_path / "production.env"),
                                 "REDIS_URL": TEST_REDIS_URL, "DATABASE_URL": TEST_DATABASE_URL})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [SAFE["SECRET_KEY"], TEST_REDIS_URL, "production"]
