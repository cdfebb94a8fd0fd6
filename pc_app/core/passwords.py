"""Password hashing (argon2id) and the password policy shared by every place that sets one."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters

MIN_LENGTH = 10
MAX_LENGTH = 256

# Well-known passwords of policy length; shorter ones are refused by length already.
COMMON_PASSWORDS = frozenset("""
1234567890 12345678910 0123456789 1111111111 0000000000 1234512345 1q2w3e4r5t 1qaz2wsx3edc
qwertyuiop qwerty12345 qwerty123456 asdfghjkl1 zxcvbnm123 password12 password123 password1234
passw0rd123 p@ssw0rd123 iloveyou12 iloveyou123 letmein123 welcome123 welcome1234 admin12345
administrator changeme123 football123 baseball123 sunshine123 princess123 trustno1234
monkey12345 dragon12345 master12345 superman123 starwars123 1234567890a abcdefghij abc1234567
a1b2c3d4e5 qazwsxedcrfv 987654321a 9876543210 11111111111 123123123123 aaaaaaaaaa
""".split())


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        # Spend the same time as a real check so timing does not reveal unknown accounts.
        try:
            _hasher.verify(_DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            pass
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_problems(password: str, email: str | None = None) -> list[str]:
    """Every reason the password is refused; empty when it is acceptable."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"Password must be at least {MIN_LENGTH} characters long.")
    if len(password) > MAX_LENGTH:
        problems.append(f"Password must be at most {MAX_LENGTH} characters long.")
    lowered = password.lower()
    if email and (lowered == email.lower() or lowered == email.lower().split("@")[0]):
        problems.append("Password must not be your email address.")
    if lowered in COMMON_PASSWORDS or len(set(password)) <= 2:
        problems.append("Password is too common; choose something less guessable.")
    return problems


_DUMMY_HASH = _hasher.hash("partner-connector-dummy-password")
