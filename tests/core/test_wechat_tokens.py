"""WeChat access tokens without Redis (issue 17 item 12): the quick start's two gunicorn workers
share one token through a locked file instead of cancelling each other's."""
import multiprocessing

import pytest

from core.config import Config

CONFIG_KEYS = ("REDIS_URL", "WECHAT_TOKEN_FILE", "WECHAT_API_BASE_URL", "WECHAT_MINIAPP_APPID",
               "WECHAT_MINIAPP_SECRET", "WECHAT_TIMEOUT_SECONDS", "WECOM_API_BASE_URL", "WECOM_CORP_ID",
               "WECOM_SECRET")


def _worker(config: dict, which: str, start, results) -> None:
    """One quick-start worker process: builds its client from the config and reads the token."""
    from flask import Flask

    from core.wechat_clients import miniapp_client, wecom_client

    app = Flask("worker")
    app.config.update(config)
    with app.app_context():
        client = miniapp_client() if which == "miniapp" else wecom_client()
        start.wait(10)
        results.put(client.access_token)


def _quick_start_config(fake, tmp_path) -> dict:
    config = Config(REDIS_URL=None, WECHAT_TOKEN_FILE=str(tmp_path / "var" / "wechat_tokens.json"),
                    WECHAT_API_BASE_URL=fake.base_url, WECOM_API_BASE_URL=fake.wecom_base_url,
                    WECHAT_TIMEOUT_SECONDS=5.0)
    return {key: getattr(config, key) for key in CONFIG_KEYS}


@pytest.mark.parametrize(("which", "token_path"), [("miniapp", "/cgi-bin/token"), ("wecom", "/cgi-bin/gettoken")])
def test_two_quick_start_workers_share_one_access_token(fake, tmp_path, which, token_path):
    config = _quick_start_config(fake, tmp_path)
    context = multiprocessing.get_context("spawn")
    start, results = context.Event(), context.Queue()
    workers = [context.Process(target=_worker, args=(config, which, start, results)) for _ in range(2)]
    for worker in workers:
        worker.start()
    start.set()
    tokens = [results.get(timeout=30), results.get(timeout=30)]
    for worker in workers:
        worker.join(10)
        assert worker.exitcode == 0
    assert tokens[0] == tokens[1]
    assert len(fake.calls(token_path)) == 1


def test_a_token_near_its_expiry_is_fetched_again(fake, tmp_path):
    from core.wechat import MiniAppClient
    from core.wechat_tokens import FileTokenStorage

    config = _quick_start_config(fake, tmp_path)
    storage = FileTokenStorage(config["WECHAT_TOKEN_FILE"])
    storage.set("wx-demo-miniapp_access_token", "old-token", 30)  # inside the 60 s margin
    client = MiniAppClient(config["WECHAT_MINIAPP_APPID"], config["WECHAT_MINIAPP_SECRET"],
                           config["WECHAT_API_BASE_URL"], session=storage)
    assert client.access_token != "old-token"
    assert len(fake.calls("/cgi-bin/token")) == 1
    assert FileTokenStorage(config["WECHAT_TOKEN_FILE"]).get("wx-demo-miniapp_access_token") == client.access_token
