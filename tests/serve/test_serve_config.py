"""``ServeConfig``: the loopback rule and limits checked when the value is made."""

from __future__ import annotations

import pytest

from verimath.errors import InputError
from verimath.serve import ServeConfig
from verimath.serve._config import is_loopback


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.0.0.2", True), ("::1", True), ("localhost", True),
    ("0.0.0.0", False), ("::", False), ("10.0.0.5", False), ("example.org", False),
])
def test_only_loopback_addresses_go_without_a_token(host, loopback):
    assert is_loopback(host) is loopback
    if loopback:
        assert ServeConfig(host=host).token is None
    else:
        with pytest.raises(InputError, match="VERIMATH_API_TOKEN"):
            ServeConfig(host=host)
        assert ServeConfig(host=host, token="x" * 16).host == host


@pytest.mark.parametrize(("settings", "field"), [
    ({"token": "short"}, "VERIMATH_API_TOKEN"),
    ({"workers": 0}, "workers"),
    ({"max_body_bytes": -1}, "max_body_bytes"),
    ({"default_timeout_ms": 0}, "default_timeout_ms"),
    ({"port": 70000}, "port"),
    ({"max_batch_items": 10, "max_queued_items": 5}, "max_batch_items"),
])
def test_bad_limits_are_refused_naming_the_field(settings, field):
    with pytest.raises(InputError, match=f"'{field}'"):
        ServeConfig(**settings)


def test_the_limits_a_client_sees_never_include_the_token():
    limits = ServeConfig(token="s" * 20).limits()
    assert "token" not in limits and "s" * 20 not in str(limits)
