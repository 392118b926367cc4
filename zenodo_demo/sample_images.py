"""Write small real images (Pillow) and large TIFFs streamed to disk for the sample collection.

Both are deterministic for a seed; a large TIFF (one uncompressed greyscale strip) is written
in 1 MiB blocks, so memory stays flat whatever its size.
"""

from __future__ import annotations

import random
import struct
from pathlib import Path

from PIL import Image, ImageDraw

_BLOCK = 1024 * 1024
_TIFF_WIDTH = 4096
_MAX_CLASSIC_TIFF = 2**32 - 4096


def sheet_image(size: tuple[int, int], seed: int, label: str = "") -> Image.Image:
    """Draw a small herbarium-sheet-like picture (paper, a green plant, a label)."""
    rng = random.Random(seed)
    width, height = size
    image = Image.new("RGB", size, (238, 232, 214))
    draw = ImageDraw.Draw(image)
    x = width // 2
    for y in range(height - 4, height // 5, -3):
        x += rng.randint(-1, 1)
        draw.line([(x, y), (x + rng.randint(-width // 6, width // 6), y - 2)],
                  fill=(40 + rng.randint(0, 40), 110 + rng.randint(0, 60), 40), width=1)
    draw.rectangle([width * 2 // 3, height * 4 // 5, width - 3, height - 3],
                   fill=(250, 250, 250), outline=(20, 20, 20))
    if label:
        draw.text((width * 2 // 3 + 2, height * 4 // 5 + 1), label[:6], fill=(0, 0, 0))
    return image


def write_image(path: Path, kind: str, size: tuple[int, int], seed: int, label: str = ""
                ) -> None:
    """Write a real image file of ``kind`` (``jpeg``, ``png`` or ``tiff``) to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = sheet_image(size, seed, label)
    if kind == "jpeg":
        image.save(path, format="JPEG", quality=85)
    elif kind == "png":
        image.save(path, format="PNG", optimize=False)
    elif kind == "tiff":
        image.save(path, format="TIFF", compression="raw")
    else:
        raise ValueError(f"unknown image kind {kind!r}")


def write_large_tiff(path: Path, size_bytes: int, seed: int) -> int:
    """Stream a greyscale TIFF of about ``size_bytes`` bytes to ``path``; return its size.

    :param path: output file
    :param size_bytes: wanted size (rounded up to whole rows of 4,096 pixels; < 4 GiB)
    :param seed: varies the pixel pattern
    """
    if size_bytes >= _MAX_CLASSIC_TIFF:
        raise ValueError("classic TIFF files must stay under 4 GiB")
    height = max(1, -(-size_bytes // _TIFF_WIDTH))
    pixels = _TIFF_WIDTH * height
    entries = [  # tag, type (3 SHORT, 4 LONG), value
        (256, 4, _TIFF_WIDTH), (257, 4, height), (258, 3, 8), (259, 3, 1), (262, 3, 1),
        (273, 4, 0), (277, 3, 1), (278, 4, height), (279, 4, pixels),
    ]
    ifd_size = 2 + 12 * len(entries) + 4
    data_offset = 8 + ifd_size
    header = bytearray(b"II*\x00" + struct.pack("<I", 8))
    header += struct.pack("<H", len(entries))
    for tag, kind, value in entries:
        value = data_offset if tag == 273 else value
        packed = struct.pack("<HH", value, 0) if kind == 3 else struct.pack("<I", value)
        header += struct.pack("<HHI", tag, kind, 1) + packed
    header += struct.pack("<I", 0)
    block = random.Random(seed).randbytes(_BLOCK)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        out.write(header)
        remaining = pixels
        while remaining > 0:
            chunk = block[: min(_BLOCK, remaining)]
            out.write(chunk)
            remaining -= len(chunk)
    return data_offset + pixels
