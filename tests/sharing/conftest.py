"""Sharing fixtures: the API world with a frozen clock, and readable API steps."""

from __future__ import annotations

import pytest

from tests.api.conftest import ApiWorld, api_world  # noqa: F401 - the fixture, re-exported
from tests.sharing.helpers import Clock, Steps, freeze


@pytest.fixture
def clock(api_world: ApiWorld) -> Clock:  # noqa: F811
    return freeze(api_world.services)


@pytest.fixture
def steps(api_world: ApiWorld, clock: Clock) -> Steps:  # noqa: F811
    return Steps(api_world, clock)
