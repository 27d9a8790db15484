"""A real rq worker for `test_dead_worker`, run in a subprocess and killed mid-delivery:
`python -m tests.notify.killed_worker DATABASE_URL REDIS_URL WECOM_API_BASE_URL MARKER`.

Its WeCom robot send writes MARKER and then blocks, as a hung WeChat call would, until the test
SIGKILLs the process."""
from __future__ import annotations

import sys
import time
from pathlib import Path

from rq import Queue

from app import create_app
from core.config import Config
from core.redis import QUEUE_NAMES, get_redis
from jobs.commands import make_worker_class
from services.notify import delivery


def main(database_url: str, redis_url: str, wecom_base_url: str, marker: str) -> None:
    app = create_app(Config(SQLALCHEMY_DATABASE_URI=database_url, REDIS_URL=redis_url, SECRET_KEY="test-secret",
                            TESTING=True, WECOM_API_BASE_URL=wecom_base_url))

    def hang(message) -> None:
        Path(marker).write_text(str(message.id))
        time.sleep(600)

    delivery.SENDERS["wecom_robot"] = hang
    with app.app_context():
        connection = get_redis()
        make_worker_class()([Queue(name, connection=connection) for name in QUEUE_NAMES],
                            connection=connection).work(burst=True)


if __name__ == "__main__":
    main(*sys.argv[1:5])
