"""The schema's PostgreSQL functions agree with the Python side that shares their locks."""
from database.functions import MARK_SENT_FUNCTION, WAMID_LOCK_KEY


def test_mark_sent_takes_the_same_wamid_lock_as_status_webhooks():
    assert f"pg_advisory_xact_lock({WAMID_LOCK_KEY.format(wamid='p_wamid')})" in MARK_SENT_FUNCTION
