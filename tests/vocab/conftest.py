from __future__ import annotations

import copy
from typing import Any

import pytest
from rdflib import URIRef

from tests.vocab.records import DATASET_URI, FULL, RICH, SAMPLE


@pytest.fixture
def sample() -> dict[str, Any]:
    return copy.deepcopy(SAMPLE)


@pytest.fixture
def full() -> dict[str, Any]:
    return copy.deepcopy(FULL)


@pytest.fixture
def rich() -> dict[str, Any]:
    return copy.deepcopy(RICH)


@pytest.fixture
def uri() -> URIRef:
    return DATASET_URI
