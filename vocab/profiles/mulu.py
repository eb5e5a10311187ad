"""The ``mulu`` profile: the Chinese catalog elements of our extension vocabulary (vocab/mulu.ttl).

Every field on a ``mulu:`` predicate is mapped from the field table; data items are
``mulu:DataItem`` nodes whose sub-fields come from ``DATA_ITEM_FIELDS`` and whose ``mulu:order``
keeps the list in order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from rdflib import BNode, Graph, Literal
from rdflib.term import Node

from vocab.fields import BY_NAME, DATA_ITEM_FIELDS, FIELDS, Field, Kind
from vocab.namespaces import MULU, RDF, XSD
from vocab.profiles.base import (
    Profile,
    Record,
    Subject,
    Unread,
    in_namespace,
    is_set,
    read_field,
    read_fields,
    values_of,
    write_field,
)
from vocab.profiles.dcat_ap import distribution_formats
from vocab.profiles.extra import EXTRA, Ledger

GENERIC: tuple[Field, ...] = tuple(
    f for f in FIELDS if f.kind is not Kind.DATA_ITEMS and in_namespace(f.predicate, MULU)
)
DATA_ITEMS = BY_NAME["data_items"]
FORMATS = BY_NAME["formats"]
# formats that no distribution of the record has (a spreadsheet's 数据格式): DCAT-AP has no
# dataset property for them and a distribution needs an access URL we do not have
BARE_FORMATS = replace(FORMATS, kind=Kind.FORMAT, predicate=MULU["format"])


def _write_data_items(graph: Graph, subject: Subject, record: Mapping[str, Any]) -> None:
    items = [item for item in record.get(DATA_ITEMS.name) or ()
             if any(is_set(v) for v in dict(item).values())]
    for position, item in enumerate(items, start=1):
        node = BNode()
        graph.add((subject, DATA_ITEMS.predicate, node))
        graph.add((node, RDF.type, MULU.DataItem))
        graph.add((node, MULU.order, Literal(position, datatype=XSD.integer)))
        for fld in DATA_ITEM_FIELDS:
            write_field(graph, node, fld, item)


def _order(graph: Graph, node: Node) -> tuple[int, str]:
    value = graph.value(node, MULU.order)
    try:
        position = int(value) if value is not None else 1 << 30
    except ValueError:
        position = 1 << 30
    return position, str(node)


def _read_data_items(graph: Graph, subject: Subject, record: Record, ledger: Ledger) -> None:
    items = []
    for node in sorted(graph.objects(subject, DATA_ITEMS.predicate), key=lambda n: _order(graph, n)):
        item: Record = {}
        read_fields(graph, node, DATA_ITEM_FIELDS, item)
        if item:
            items.append(item)
            ledger.see(DATA_ITEMS.predicate, node)
    if items:
        record[DATA_ITEMS.name] = items


def _write_bare_formats(graph: Graph, subject: Subject, record: Mapping[str, Any]) -> None:
    """After the ``dcat_ap`` profile: the formats its distributions do not already say."""
    covered = {name.upper() for name in distribution_formats(graph, subject)}
    bare = [f for f in values_of(record, FORMATS.name) if str(f).upper() not in covered]
    write_field(graph, subject, BARE_FORMATS, {FORMATS.name: bare, EXTRA: record.get(EXTRA)})


def _read_bare_formats(graph: Graph, subject: Subject, record: Record, ledger: Ledger) -> None:
    bare = read_field(graph, subject, BARE_FORMATS, ledger=ledger)
    if bare:
        record[FORMATS.name] = sorted({*record.get(FORMATS.name, ()), *bare})


def write(graph: Graph, subject: Subject, record: Mapping[str, Any]) -> None:
    for fld in GENERIC:
        write_field(graph, subject, fld, record)
    _write_data_items(graph, subject, record)
    _write_bare_formats(graph, subject, record)


def read(graph: Graph, subject: Subject, record: Record, unread: Unread, ledger: Ledger) -> None:
    read_fields(graph, subject, GENERIC, record, unread, ledger=ledger)
    _read_data_items(graph, subject, record, ledger)
    _read_bare_formats(graph, subject, record, ledger)


PROFILE = Profile("mulu", write, read)
