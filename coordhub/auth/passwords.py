"""The password rule, one for every place a password is set (admin form, create-user, change, demo).

Pure: returns a reason code, or None when the password is acceptable; callers turn the code into a sentence in
the reader's language (coordhub.auth.operations.password_message)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from zxcvbn import zxcvbn

MIN_LENGTH = 12
MAX_LENGTH = 200
# zxcvbn's score: 0 too guessable … 4 very unguessable. 3 means about 10^8 guesses or more.
MIN_SCORE = 3
# Parts of the e-mail or name shorter than this are not looked for inside the password.
MIN_PERSONAL_PART = 4


def personal_words(email: str | None, name: str | None) -> list[str]:
    """The e-mail, its local part and the words of the name and the e-mail, lower-cased."""
    words = set()
    for text in (email or "", name or ""):
        text = text.strip().lower()
        if not text:
            continue
        words.add(text)
        words.add(text.split("@")[0])
        words.update(re.split(r"[^\w]+", text))
    return sorted(w for w in words if len(w) >= MIN_PERSONAL_PART)


def password_problem(password: str, personal: Iterable[str] = ()) -> str | None:
    """None if `password` may be used, else one of: "too_short" (fewer than MIN_LENGTH characters),
    "too_long" (more than MAX_LENGTH), "personal" (contains the e-mail or a word of the user's name),
    "guessable" (zxcvbn scores it below MIN_SCORE: repeats, sequences, common words and passwords)."""
    if len(password) < MIN_LENGTH:
        return "too_short"
    if len(password) > MAX_LENGTH:
        return "too_long"
    personal = [word.lower() for word in personal if word]
    lowered = password.lower()
    if any(word in lowered for word in personal):
        return "personal"
    if zxcvbn(password[:72], user_inputs=personal)["score"] < MIN_SCORE:
        return "guessable"
    return None
