"""Fixtures for the pure rules engine: no app, no database."""

import pytest

from portal.rules import get_rule_set


@pytest.fixture
def anhui():
    return get_rule_set("anhui-2025")


@pytest.fixture
def hefei():
    return get_rule_set("hefei-2021")
