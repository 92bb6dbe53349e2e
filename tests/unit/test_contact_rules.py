"""How an inbound webhook updates a contact (app.api.webhooks.inbound.apply_profile)."""
from datetime import datetime, timedelta, timezone

import pytest

from app.api.webhooks.inbound import apply_profile
from database.models import Contact

T0 = datetime(2026, 12, 3, 10, 0, tzinfo=timezone.utc)


def contact(**fields) -> Contact:
    return Contact(phone_number="16505551234", is_blocked=False, **fields)


@pytest.mark.parametrize("display_name", [None, ""])
def test_profile_name_fills_a_missing_display_name(display_name):
    c = contact(display_name=display_name)
    apply_profile(c, "Alice", "16505551234", T0)
    assert (c.display_name, c.profile_name) == ("Alice", "Alice")


def test_display_name_follows_the_profile_while_it_was_not_customised():
    c = contact(display_name="Alice", profile_name="Alice")
    apply_profile(c, "Alice Smith", None, T0)
    assert (c.display_name, c.profile_name) == ("Alice Smith", "Alice Smith")


def test_a_customised_display_name_is_kept_while_profile_name_follows_whatsapp():
    c = contact(display_name="Alice (VIP)", profile_name="Alice")
    apply_profile(c, "Alice Smith", None, T0)
    assert (c.display_name, c.profile_name) == ("Alice (VIP)", "Alice Smith")


def test_a_display_name_set_before_any_profile_is_kept():
    c = contact(display_name="Our best customer")
    apply_profile(c, "Alice", None, T0)
    assert (c.display_name, c.profile_name) == ("Our best customer", "Alice")


@pytest.mark.parametrize("profile_name", [None, ""])
def test_no_profile_name_changes_no_name(profile_name):
    c = contact(display_name="Alice (VIP)", profile_name="Alice")
    apply_profile(c, profile_name, None, T0)
    assert (c.display_name, c.profile_name) == ("Alice (VIP)", "Alice")


def test_wa_id_is_updated_when_given_and_kept_when_not():
    c = contact(wa_id="16505551234")
    apply_profile(c, None, "5511987654321", T0)
    assert c.wa_id == "5511987654321"
    apply_profile(c, None, None, T0)
    assert c.wa_id == "5511987654321"


def test_last_seen_and_last_inbound_at_are_set_from_nothing():
    c = contact()
    apply_profile(c, "Alice", None, T0)
    assert c.last_seen == T0 and c.last_inbound_at == T0


def test_last_seen_only_moves_forward_when_webhooks_arrive_out_of_order():
    c = contact()
    later, earlier = T0 + timedelta(minutes=5), T0 - timedelta(minutes=5)
    apply_profile(c, None, None, T0)
    apply_profile(c, None, None, later)
    assert c.last_seen == later and c.last_inbound_at == later
    apply_profile(c, None, None, earlier)
    assert c.last_seen == later and c.last_inbound_at == later



def test_an_older_message_arriving_late_does_not_rename_the_contact():
    from datetime import datetime, timezone

    from app.api.webhooks.inbound import apply_profile
    from database.models import Contact

    contact = Contact(phone_number="16505551234", is_blocked=False)
    newer = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)
    older = datetime(2026, 12, 3, 11, 0, tzinfo=timezone.utc)
    apply_profile(contact, "Ana Maria", "16505551234", newer)
    apply_profile(contact, "Ana (old)", "16505551234", older)
    assert (contact.display_name, contact.profile_name, contact.last_seen) == ("Ana Maria", "Ana Maria", newer)
