"""What the index sees in one image: real faces found where they were pasted, embeddings that tell the two people
apart, perceptual hashes, and clear refusals of what is not a readable image."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from accord.errors import InvalidInput, TooLarge
from accord.privacy import faces
from tests.privacy.scenes import SCENES, background, jpeg, person, png, scene, selfie


def _inside(box, region, slack=0.15):
    x0, y0, x1, y1 = region
    w, h = x1 - x0, y1 - y0
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return x0 - slack * w <= cx <= x1 + slack * w and y0 - slack * h <= cy <= y1 + slack * h


# where each face lands in the scenes (the photos' face regions, scaled and moved as the scene pastes them)
def _face_region(who, width, at):
    x0, y0, x1, y1 = {"astronaut": (175, 50, 275, 185), "grace": (165, 100, 365, 345)}[who]
    k = width / person(who).width
    return (at[0] + x0 * k, at[1] + y0 * k, at[0] + x1 * k, at[1] + y1 * k)


@pytest.mark.parametrize("path", sorted(SCENES))
def test_detection_finds_the_pasted_face_and_nothing_else(path):
    who, kw = SCENES[path]
    found = faces.detect(faces.rgb(scene(who, **kw)))
    assert len(found) == 1, found
    assert _inside(found[0].box, _face_region(who, kw["width"], kw["at"])), (found[0], path)
    assert found[0].score > 0.7


def test_detection_finds_both_people_in_one_scene_and_none_in_a_background():
    both = background(7, (900, 500))
    both.paste(person("astronaut").resize((300, 300)), (20, 100))
    both.paste(person("grace").resize((280, 328)), (560, 60))
    found = faces.detect(faces.rgb(both))
    assert len(found) == 2
    assert sorted(round((f.box[0] + f.box[2]) / 2) < 450 for f in found) == [False, True]
    assert faces.detect(faces.rgb(background(8))) == []


def test_small_and_tight_crops_are_padded_not_refused():
    for who in ("astronaut", "grace"):
        tight = faces.open_image(selfie(who, side=96))
        assert len(faces.detect(faces.rgb(tight))) == 1
    assert faces.detect(np.zeros((5, 5, 3), np.uint8)) == []


def test_embeddings_of_one_person_are_closer_than_across_people():
    vec = {}
    for path, (who, kw) in SCENES.items():
        pixels = faces.rgb(scene(who, **kw))
        emb = faces.embed(pixels, [f.box for f in faces.detect(pixels)])
        assert emb.shape == (1, 128) and emb.dtype == np.float32
        assert abs(float(np.linalg.norm(emb[0])) - 1.0) < 1e-5
        vec[path] = emb[0]
    same = [vec["astronaut/a1.jpg"] @ vec["astronaut/a2.jpg"], vec["grace/g1.jpg"] @ vec["grace/g2.jpg"]]
    across = [
        vec[a] @ vec[g] for a in ("astronaut/a1.jpg", "astronaut/a2.jpg") for g in ("grace/g1.jpg", "grace/g2.jpg")
    ]
    assert min(same) > max(across)
    from accord.privacy.index import FACE_MATCH

    assert min(same) > FACE_MATCH > max(across)


def test_phash_of_a_recompressed_copy_is_near_and_of_another_image_far():
    img = scene("astronaut", width=300, at=(60, 50), seed=1)
    copy = faces.open_image(jpeg(img.resize((400, 300)), quality=40))
    other = scene("grace", width=380, at=(50, 150), seed=4)
    assert len(faces.phash(img)) == 16
    assert faces.hamming(faces.phash(img), faces.phash(copy)) <= 6
    assert faces.hamming(faces.phash(img), faces.phash(other)) > 16


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims width x height pixels (the decompression-bomb shape): header chunk, tiny data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("data", "error", "words"),
    [
        (b"this is not an image", InvalidInput, "not an image"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 40, InvalidInput, "not an image"),
        (b"\xff" * (faces.MAX_BYTES + 1), TooLarge, "larger than 20 MB"),
        (_png_header_only(8000, 7000), InvalidInput, "too many pixels"),  # 56 MP: over our limit
        (_png_header_only(30000, 30000), InvalidInput, "too many pixels"),  # Pillow's own bomb error
    ],
    ids=["text", "cut-png", "21-MB", "56-MP", "bomb"],
)
def test_what_is_not_a_readable_image_is_refused_clearly(data, error, words):
    with pytest.raises(error) as raised:
        faces.open_image(data)
    assert words in raised.value.message


def test_open_image_turns_the_photo_upright_and_to_rgb():
    img = person("grace").convert("L")
    buf = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated: stored sideways
    img.save(buf, "JPEG", exif=exif)
    opened = faces.open_image(buf.getvalue())
    assert opened.mode == "RGB" and opened.size == (img.height, img.width)
    assert faces.open_image(png(background(1, (64, 48)))).size == (64, 48)
