"""Image files for the brand's logo: the smallest real PNG, and an SVG logo as a designer exports it."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path


def png(path: Path) -> Path:
    """A real 1×1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))

    header = struct.pack('>IIBBBBB', 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b'\x00\x0b\x4f\x8a')
    path.write_bytes(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', header) + chunk(b'IDAT', pixels) + chunk(b'IEND', b''))
    return path


#: a flat logo: a rounded square and a lightning bolt
LOGO_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">'
    '<rect width="64" height="64" rx="12" fill="#ffcc00"/><path d="M36 6 14 36h16l-4 22 22-30H32z" fill="#7a1f3d"/>'
    '</svg>'
)


def svg(path: Path, text: str = LOGO_SVG) -> Path:
    path.write_text(text, encoding='utf-8')
    return path
