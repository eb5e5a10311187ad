"""The harvester for each source type, picked once from the source's ``type``."""

from __future__ import annotations

from harvesters.base import Harvester
from harvesters.ckan import CkanHarvester
from harvesters.dcat import DcatHarvester
from harvesters.spreadsheet import SpreadsheetHarvester

HARVESTERS: dict[str, type[Harvester]] = {
    h.type: h for h in (CkanHarvester, DcatHarvester, SpreadsheetHarvester)}
TYPES: tuple[str, ...] = tuple(HARVESTERS)
