from __future__ import annotations

from rdflib import Graph
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from vocab.fields import FIELDS, REQUIRED
from vocab.namespaces import MULU_SHAPE, SH
from vocab.shapes import (
    DCAT_AP_SHAPES_FILES,
    HEADER,
    MULU_SHAPES_FILE,
    NODE_VALUED,
    mulu_shapes,
)


def test_committed_shapes_equal_the_generated_ones() -> None:
    generated = mulu_shapes()
    text = HEADER.encode() + generated.serialize(format="turtle", encoding="utf-8")
    if MULU_SHAPES_FILE.read_bytes() == text:  # the usual case; the serializer is deterministic
        return
    committed = Graph().parse(MULU_SHAPES_FILE, format="turtle")
    if not isomorphic(committed, generated):
        _, only_file, only_generated = graph_diff(to_isomorphic(committed),
                                                  to_isomorphic(generated))
        raise AssertionError(
            "vocab/shapes/mulu-shapes.ttl is stale; run `python -m vocab.shapes`\n"
            f"only in file: {len(only_file)} triples, only generated: {len(only_generated)}")


def test_every_field_has_shapes() -> None:
    graph = mulu_shapes()
    shapes = {str(s) for s in graph.objects(MULU_SHAPE.Dataset, SH.property)}
    for field in FIELDS:
        mine = {s for s in shapes if s.startswith(str(MULU_SHAPE[f"Dataset-{field.name}-"]))}
        assert mine or field.name in NODE_VALUED and field.multiple, field.name
    for name in REQUIRED:
        assert str(MULU_SHAPE[f"Dataset-{name}-required"]) in shapes


def test_every_property_shape_has_messages_in_both_languages() -> None:
    graph = mulu_shapes()
    for shape in graph.subjects(SH.path, None):
        if (shape, SH.message, None) in graph:
            langs = {m.language for m in graph.objects(shape, SH.message)}
            assert langs == {"zh", "en"}, shape


def test_dcat_ap_shapes_ship() -> None:
    for path in DCAT_AP_SHAPES_FILES:
        assert path.exists()
        assert (path.parent / "README.md").exists()
        assert len(Graph().parse(path, format="turtle")) > 1000
