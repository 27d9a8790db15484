"""The process's own Redis connection for the public scan's one round trip per request."""
import pytest
from redis.exceptions import ResponseError

from core.redis import get_redis, own_connection


def test_commands_go_in_one_round_trip_and_replies_come_back_in_order(app):
    replies = own_connection().round_trip(("SET", "own:a", "1"), ("INCR", "own:a"), ("GET", "own:a"),
                                          ("GET", "own:none"))
    assert replies == [b"OK", 2, b"2", None]  # raw replies: no redis-py response callbacks


def test_after_an_error_reply_the_next_round_trip_reads_its_own_replies(app):
    get_redis().rpush("own:list", "x")
    with pytest.raises(ResponseError):
        own_connection().round_trip(("INCR", "own:list"), ("GET", "own:b"))  # the GET reply is left unread
    assert own_connection().round_trip(("SET", "own:b", "fresh"), ("GET", "own:b")) == [b"OK", b"fresh"]


def test_without_redis_there_is_no_own_connection(app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    assert own_connection() is None
