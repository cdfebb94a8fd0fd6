"""Masked contact data on browse cards: what a buyer sees before the unmask policy allows more."""
import pytest

from plugins.marketplace.masking import mask_email, mask_phone


@pytest.mark.parametrize("email, shown", [
    ("john.smith@example.com", "j***@example.com"),
    ("j@example.com", "j***@example.com"),            # one-letter local part: still three stars
    ("Ab+tag@sub.example.co.uk", "A***@sub.example.co.uk"),
    ("weird@name@example.com", "w***@example.com"),     # the domain is what follows the last "@"
    ("no-at-sign", "***"),
    ("", None),
    (None, None),
])
def test_email_keeps_first_letter_and_domain_only(email, shown):
    assert mask_email(email) == shown


@pytest.mark.parametrize("phone, shown", [
    ("+14155550123", "+1 (415) ***-0123"),              # North America: the format of PRODUCT.md
    ("+15555551234", "+1 (555) ***-1234"),
    ("+442079460123", "+44 ** **** 0123"),               # London landline, international grouping kept
    ("+447911123456", "+44 **** **3456"),                # UK mobile
    ("+33612345678", "+33 * ** ** 56 78"),
    ("+8613812345678", "+86 *** **** 5678"),
    ("+35312345", "+353 ***45"),                         # very short numbers show only two digits
    (None, None),
    ("", None),
])
def test_phone_shows_country_code_and_last_digits_only(phone, shown):
    assert mask_phone(phone) == shown


def test_unparseable_phone_still_hides_all_but_four_digits():
    assert mask_phone("12-34-56-78-90") == "**-**-**-78-90"
