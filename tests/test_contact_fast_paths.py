"""A plainly typed Russian mobile and a plain ASCII e-mail are read without phonenumbers' parse
or a whole email-validator run (an import reads ~100 000 of them): the answers must be exactly
what those libraries give, valid or not, for every way the fast paths accept."""

from __future__ import annotations

import random

import phonenumbers
import pytest
from email_validator import EmailNotValidError, validate_email

from ppo_checklist.core import model


def parsed_phone(text: str) -> str | None:
    """What phonenumbers says, as normal_phone stored it before the fast path."""
    try:
        number = phonenumbers.parse(text, model.PHONE_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def typed_ways(digits: str) -> list[str]:
    code, a, b, c = digits[:3], digits[3:6], digits[6:8], digits[8:]
    return [
        f"+7 {code} {a}-{b}-{c}",
        f"+7{code}{a}{b}{c}",
        f"8{code}{a}{b}{c}",
        f"8 ({code}) {a}-{b}-{c}",
        f"+7({code}){a}-{b}-{c}",
        f"8-{code}-{a}-{b}-{c}",
    ]


def every_mobile_range() -> list[str]:
    """Ten digits starting with 9: every four-digit prefix (where the metadata's exceptions
    are, 930…), and random tails, seeded."""
    rng = random.Random(24)
    numbers = [f"9{prefix:03d}{rng.randrange(10**6):06d}" for prefix in range(1000)]
    numbers += [f"930{rest:03d}{rng.randrange(10**4):04d}" for rest in range(1000)]
    return numbers


def test_a_plainly_typed_mobile_reads_as_phonenumbers_reads_it():
    accepted = rejected = 0
    for digits in every_mobile_range():
        for text in typed_ways(digits):
            expected = parsed_phone(text)
            got, problem = model.normal_phone(text)
            assert got == expected, text
            assert (problem is None) == (expected is not None), text
            if model._plain_mobile(text) is None:
                rejected += 1
            else:
                accepted += 1
    assert accepted > 10_000 and rejected > 0  # both ways were taken


@pytest.mark.parametrize(
    "text",
    ["+7 812 123-45-67", "8 (495) 123-45-67", "+7 701 123 4567", "+1 212 555 0100", "+7 912 345-67-8", "89123456789 "],
)
def test_other_phones_are_parsed(text):
    assert model._plain_mobile(text.strip()) is None or text.strip().startswith(("+7 9", "89"))
    got, _problem = model.normal_phone(text)
    assert got == parsed_phone(text.strip())


def validated_email(text: str) -> str | None:
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


DOMAINS = [
    "example.ru", "Mail.RU", "yandex.ru", "gmail.com", "sub.domain.co.uk", "b", "localhost", "x.test",
    "x.invalid", "x.local", "-bad.ru", "bad-.ru", "a..b.ru", "xn--80ak6aa92e.com", "xn--zz.ru", "1.2.3.4",
    "ex.123", "a" * 64 + ".ru", "a" * 63 + ".ru", "ab--cd.ru", "x.onion", "example.com", "x.arpa", "x.y-",
]  # fmt: skip
LOCALS = ["ivan", "Ivan.Petrov", "a+tag", "_x_", "-x-", "a.b.c", "A" * 64, "A" * 65, "x" * 60, "1", "a_b-c+d"]


@pytest.mark.parametrize("domain", DOMAINS)
def test_a_plain_email_reads_as_email_validator_reads_it(domain):
    for local in LOCALS:
        text = f"{local}@{domain}"
        got, problem = model.normal_email(text)
        assert got == validated_email(text), text
        assert (problem is None) == (got is not None), text


def test_an_email_too_long_as_a_whole_is_refused_as_email_validator_refuses_it():
    text = "a" * 60 + "@" + ".".join(["b" * 60] * 4) + ".ru"
    assert len(text) > 254
    assert model.normal_email(text)[0] is None and validated_email(text) is None
