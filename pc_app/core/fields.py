"""Marshmallow fields for the core's value types: E.164 phone numbers and lower-cased e-mails."""
import marshmallow as ma
import phonenumbers


def normalise_phone(raw: str) -> str:
    """Return the number in E.164; numbers without a country code are read as US numbers."""
    try:
        parsed = phonenumbers.parse(raw, None if raw.strip().startswith("+") else "US")
    except phonenumbers.NumberParseException:
        raise ValueError("Not a phone number.") from None
    if not phonenumbers.is_possible_number(parsed) or not phonenumbers.is_valid_number(parsed):
        raise ValueError("Not a valid phone number; use international format like +14155550123.")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


class PhoneNumber(ma.fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        raw = super()._deserialize(value, attr, data, **kwargs)
        if raw is None or raw == "":
            return None
        try:
            return normalise_phone(raw)
        except ValueError as exc:
            raise ma.ValidationError(str(exc)) from None


class LowerEmail(ma.fields.Email):
    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = value.strip().lower()
        return super()._deserialize(value, attr, data, **kwargs)


class CountryCode(ma.fields.String):
    """An ISO 3166-1 alpha-2 country code, accepted in any case ("de" is DE)."""

    def _deserialize(self, value, attr, data, **kwargs):
        from .vocabulary import COUNTRIES

        code = super()._deserialize(value, attr, data, **kwargs).strip().upper()
        if code not in COUNTRIES:
            raise ma.ValidationError(f"'{code}' is not an ISO 3166-1 alpha-2 country code.")
        return code
