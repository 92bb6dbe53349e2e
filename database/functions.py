"""PostgreSQL functions the schema defines (created by the migrations and by create_all()).

wamsvc_mark_sent(message_id, wamid, at): store Graph's wamid on a pending send and move it to sent,
under the same advisory lock status webhooks take for that wamid (WebhookRepository.lock_wamid),
and return how many statuses for the wamid wait to be applied. One round trip instead of four
(BEGIN, lock, UPDATE, COMMIT). Each statement of a VOLATILE function takes a fresh snapshot, so
the count sees every status committed before the lock was granted; the lock is held until the
calling transaction commits.
"""
from sqlalchemy import DDL

WAMID_LOCK_KEY = "hashtextextended({wamid}, 0)"

# The lock key is WAMID_LOCK_KEY's expression, written out (tests/unit/test_database_functions.py checks).
MARK_SENT_FUNCTION = """
CREATE OR REPLACE FUNCTION wamsvc_mark_sent(p_message_id uuid, p_wamid varchar, p_at timestamptz)
RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(p_wamid, 0));
    UPDATE messages SET whatsapp_message_id = p_wamid, status = 'sent', sent_at = p_at, updated_at = p_at
     WHERE id = p_message_id;
    RETURN (SELECT count(*) FROM message_status_events
             WHERE whatsapp_message_id = p_wamid AND applied = false);
END
$$
"""
DROP_MARK_SENT_FUNCTION = "DROP FUNCTION IF EXISTS wamsvc_mark_sent(uuid, varchar, timestamptz)"


def create_functions_ddl() -> DDL:
    """DDL for create_all(): the functions, on PostgreSQL only."""
    return DDL(MARK_SENT_FUNCTION).execute_if(dialect="postgresql")
