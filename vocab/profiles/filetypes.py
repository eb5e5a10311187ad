"""Format names (as catalogs write them: "CSV", "xlsx", "RDF/XML") <-> EU file-type authority codes."""

from __future__ import annotations

import re
from functools import lru_cache

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from vocab.namespaces import EU_FILE_TYPE, RDFS

# EU file-type codes we emit; a format not listed here is written as a labelled blank node
KNOWN_CODES = frozenset({
    "7Z", "AVI", "BMP", "CSV", "DBF", "DOC", "DOCX", "GEOJSON", "GIF", "GML", "GZIP", "HTML",
    "JPEG", "JSON", "JSON_LD", "KML", "KMZ", "MDB", "MP3", "MP4", "MPEG", "ODS", "ODT", "PDF",
    "PNG", "PPT", "PPTX", "RAR", "RDF", "RDF_TURTLE", "RDF_XML", "RTF", "SHP", "SQL", "SVG", "TAR",
    "TIFF", "TSV", "TXT", "WAV", "XLS", "XLSX", "XML", "YAML", "ZIP",
})

# other spellings seen in catalogs -> EU code
ALIASES: dict[str, str] = {
    "JPG": "JPEG", "TIF": "TIFF", "HTM": "HTML", "GZ": "GZIP", "TTL": "RDF_TURTLE",
    "TURTLE": "RDF_TURTLE", "JSONLD": "JSON_LD", "SHAPEFILE": "SHP", "TEXT": "TXT", "YML": "YAML",
    "GEO_JSON": "GEOJSON",
}

# EU code -> the name we show, where it is not the code itself
DISPLAY: dict[str, str] = {"RDF_XML": "RDF/XML", "RDF_TURTLE": "Turtle", "JSON_LD": "JSON-LD"}


def _code(name: str) -> str:
    token = re.sub(r"[^A-Z0-9]+", "_", name.strip().upper()).strip("_")
    return ALIASES.get(token, token)


@lru_cache(maxsize=4096)   # (a harvest asks for the same few names again and again)
def file_type(name: str) -> URIRef | None:
    """The EU file-type IRI of a format name, or None when the EU table has no such type."""
    code = _code(name)
    return EU_FILE_TYPE[code] if code in KNOWN_CODES else None


def _name_from_code(code: str) -> str:
    return DISPLAY.get(code, code)


@lru_cache(maxsize=4096)
def _known_name(text: str) -> str | None:
    code = _code(text)
    return _name_from_code(code) if code in KNOWN_CODES else None


def format_name(graph: Graph, node: Node) -> str | None:
    """The format name of a ``dct:format`` / ``dcat:mediaType`` value (IRI, node or literal)."""
    if isinstance(node, Literal):
        text = str(node).strip()
        return _known_name(text) or text or None
    if isinstance(node, URIRef) and str(node).startswith(str(EU_FILE_TYPE)):
        return _name_from_code(str(node)[len(str(EU_FILE_TYPE)):])
    label = graph.value(node, RDFS.label)
    if label is not None and str(label).strip():
        return str(label)
    if isinstance(node, URIRef):  # e.g. an IANA media type: .../media-types/text/csv
        last = re.split(r"[/#+]", str(node).rstrip("/"))[-1]
        return _known_name(last) or last or None
    return None
