"""Shared vocabulary: namespaces, SKOS schemes, the field table, SHACL shapes and RDF profiles."""
