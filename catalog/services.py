"""The services bundle a running Mulu uses; built once from settings at start-up."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from catalog.accounts import AccountService
from catalog.completion import CompletionService
from catalog.config import Settings
from catalog.datasets import DatasetService
from catalog.departments import DepartmentService
from catalog.sharing import SharingService
from catalog.sharing.calendar import CalendarService
from catalog.store import Store

if TYPE_CHECKING:
    from catalog.imports import ImportService
    from harvesters.service import HarvestService


@dataclass
class Services:
    store: Store
    datasets: DatasetService
    departments: DepartmentService
    accounts: AccountService
    sharing: SharingService

    @property
    def settings(self) -> Settings:
        return self.store.settings

    @cached_property
    def calendar(self) -> CalendarService:  # the official calendar, loaded and checked
        return CalendarService(self.store, lambda: self.sharing.clock())

    @cached_property
    def completion(self) -> CompletionService:  # issue 9: 待完善 counts, publishers
        return CompletionService(self.store)

    @cached_property
    def harvest(self) -> HarvestService:  # issue 3: harvest sources and jobs
        from harvesters.service import HarvestService

        return HarvestService(self.store, self.datasets)

    @cached_property
    def imports(self) -> ImportService:  # issue 9 §4: spreadsheet imports as jobs
        from catalog.imports import ImportService

        return ImportService(self.store, self.datasets, self.accounts)

    @classmethod
    def build(cls, store: Store) -> Services:
        return cls(store, DatasetService(store), DepartmentService(store), AccountService(store),
                   sharing=SharingService(store))
