import logging

import pytest

from market.core.security import RedactContactDetails, is_safe_next


@pytest.mark.parametrize("target", ["/", "/seller/", "/auth/account?x=1", "/staff/groups/3"])
def test_local_paths_are_safe(target):
    assert is_safe_next(target)


@pytest.mark.parametrize("target", [
    None, "", "http://evil.example/", "https://evil.example", "//evil.example", "/\\evil.example",
    "\\\\evil.example", "javascript:alert(1)", "/\r\nLocation: x", "evil.example/x",
    "/\tevil", "///evil.example",
])
def test_foreign_or_tricky_targets_are_refused(target):
    assert not is_safe_next(target)


def test_log_lines_lose_phone_numbers_and_emails():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "login %s and %s, member +91 98123 45678",
                               ("asha@example.org", "9812345678"), None)
    RedactContactDetails().filter(record)
    line = record.getMessage()
    assert "asha@example.org" not in line and "9812345678" not in line and "98123 45678" not in line
    assert line.count("[phone]") == 2 and "[email]" in line


def test_log_lines_keep_ordinary_numbers():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "order 12345 paid 4999 paise", None, None)
    RedactContactDetails().filter(record)
    assert record.getMessage() == "order 12345 paid 4999 paise"
