"""``python -m vocab.shapes``: regenerate vocab/shapes/mulu-shapes.ttl from the field table."""

from vocab.shapes import write_mulu_shapes

if __name__ == "__main__":
    print(f"wrote {write_mulu_shapes()}")
