"""The services bundle a running Mulu uses; built once from settings at start-up."""

from __future__ import annotations

from dataclasses import dataclass

from catalog.accounts import AccountService
from catalog.config import Settings
from catalog.datasets import DatasetService
from catalog.departments import DepartmentService
from catalog.store import Store


@dataclass
class Services:
    store: Store
    datasets: DatasetService
    departments: DepartmentService
    accounts: AccountService

    @property
    def settings(self) -> Settings:
        return self.store.settings

    @classmethod
    def build(cls, store: Store) -> Services:
        return cls(store, DatasetService(store), DepartmentService(store), AccountService(store))
