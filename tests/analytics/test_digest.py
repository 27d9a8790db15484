"""The ops group's daily digest (services.analytics.digest, jobs.analytics)."""
from tests.notify.conftest import rows


def test_a_double_run_of_the_digest_queues_it_once():
    from jobs.analytics import send_daily_digest

    assert send_daily_digest() is True
    assert send_daily_digest() is False
    assert [m.template for m in rows()] == ["ops_daily_digest"]
