"""Every RDF namespace Mulu uses, declared once. No URI string literals elsewhere."""

from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, RDF, RDFS, SKOS, XSD

MULU = Namespace("https://w3id.org/mulu/ns#")
MULU_SCHEME = Namespace("https://w3id.org/mulu/scheme/")
MULU_DATASET = Namespace("https://w3id.org/mulu/dataset/")
MULU_ORG = Namespace("https://w3id.org/mulu/org/")
MULU_CATALOG = Namespace("https://w3id.org/mulu/catalog/")
MULU_SHAPE = Namespace("https://w3id.org/mulu/shapes#")  # our SHACL shapes (vocab/shapes)
ADMS = Namespace("http://www.w3.org/ns/adms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
SCHEMA = Namespace("http://schema.org/")
GSP = Namespace("http://www.opengis.net/ont/geosparql#")
IANA_MEDIA_TYPE = Namespace("http://www.iana.org/assignments/media-types/")
MAILTO = Namespace("mailto:")
TEL = Namespace("tel:")
SH = Namespace("http://www.w3.org/ns/shacl#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
EU_FREQUENCY = Namespace("http://publications.europa.eu/resource/authority/frequency/")
EU_ACCESS_RIGHT = Namespace("http://publications.europa.eu/resource/authority/access-right/")
EU_FILE_TYPE = Namespace("http://publications.europa.eu/resource/authority/file-type/")
EU_LANGUAGE = Namespace("http://publications.europa.eu/resource/authority/language/")

DCT = DCTERMS
DCAT3 = Namespace(str(DCAT))  # DCAT 3 terms rdflib's closed DCAT namespace lacks (dcat:version)

PREFIXES: dict[str, Namespace] = {
    "dcat": DCAT,
    "dct": DCTERMS,
    "foaf": FOAF,
    "rdf": RDF,
    "rdfs": RDFS,
    "skos": SKOS,
    "xsd": XSD,
    "owl": OWL,
    "adms": ADMS,
    "vcard": VCARD,
    "spdx": SPDX,
    "locn": LOCN,
    "gsp": GSP,
    "mulu": MULU,
    "hydra": HYDRA,
}

__all__ = [
    "ADMS", "DCAT", "DCAT3", "DCT", "DCTERMS", "EU_ACCESS_RIGHT", "EU_FILE_TYPE", "EU_FREQUENCY",
    "EU_LANGUAGE", "FOAF", "HYDRA", "MULU", "MULU_CATALOG", "MULU_DATASET", "MULU_ORG",
    "MULU_SCHEME", "MULU_SHAPE", "OWL", "PREFIXES", "RDF", "RDFS", "SH", "SKOS", "VCARD", "XSD",
    "GSP", "IANA_MEDIA_TYPE", "LOCN", "MAILTO", "SCHEMA", "SPDX", "TEL",
]
