"""One image anonymised: real faces (the astronaut, Grace Hopper) pasted at known boxes are found and blurred
past recognition, every kind of metadata goes, and awkward files come back with a reason instead of a crash."""

from __future__ import annotations

import io
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from accord.privacy import blur, faces
from tests.privacy.scenes import animated_gif, background, face_at, jpeg, png

SIZES = (20, 40, 80, 160, 300)


def covered(truth, found, margin: float, size) -> float:
    """The share of the true face box inside the union of the regions blurred."""
    x0, y0, x1, y1 = (round(v) for v in truth)
    mask = np.zeros((size[1], size[0]), dtype=bool)
    for f in found:
        rx0, ry0, rx1, ry1 = blur._region(f["box"], margin, size)
        mask[ry0:ry1, rx0:rx1] = True
    return float(mask[y0:y1, x0:x1].mean())


def decoded(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


@pytest.mark.parametrize("size", SIZES)
def test_faces_from_20_to_300_px_are_found_and_covered(size):
    scene = background(size, (1024, 768))
    truths = [face_at(scene, "astronaut", face=size, at=(60, 80)), face_at(scene, "grace", face=size, at=(560, 300))]
    out = blur.anonymise(jpeg(scene))
    assert out.problem is None and len(out.faces) == 2
    assert all(covered(t, out.faces, blur.Options().margin, scene.size) >= 0.9 for t in truths)
    # The blur stays on the faces and their margin: outside them only JPEG's own noise differs.
    after = np.asarray(decoded(out.data), dtype=np.int16)
    changed = np.abs(after - np.asarray(decoded(jpeg(scene)), dtype=np.int16)).max(axis=2) > 24
    inside = np.zeros(changed.shape, dtype=bool)
    for f in out.faces:
        x0, y0, x1, y1 = blur._region(f["box"], blur.Options().margin, scene.size)
        inside[y0:y1, x0:x1] = True
    assert changed[inside].mean() > 0.3 and changed[~inside].mean() < 0.01


def test_a_blurred_face_no_longer_matches_its_embedding():
    scene = background(1, (800, 600))
    truth = face_at(scene, "astronaut", face=160, at=(200, 120))
    before = np.asarray(scene)
    for kind in ("gaussian", "pixelate", "box"):
        after = np.asarray(decoded(blur.anonymise(png(scene), blur.Options(blur=kind)).data).convert("RGB"))
        a, b = faces.embed(before, [truth]), faces.embed(after, [truth])
        similarity = float(a[0] @ b[0])
        assert similarity < 0.91, (kind, similarity)  # 0.91 is dlib's "same person" distance of 0.6
    solid = np.asarray(decoded(blur.anonymise(png(scene), blur.Options(blur="box")).data).convert("RGB"))
    x0, y0, x1, y1 = (round(v) for v in truth)
    assert solid[y0 + 5 : y1 - 5, x0 + 5 : x1 - 5].max() == 0


def _tagged_jpeg() -> bytes:
    scene = background(3, (400, 300))
    face_at(scene, "grace", face=120, at=(40, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 6  # Orientation: the pixels are stored turned a quarter
    exif[0x9286] = "taken at home"
    exif.get_ifd(0x8825)[2] = (51.0, 30.0, 0.0)  # GPSLatitude
    icc = Image.core.__dict__.get("icc_profile") or b"\0" * 128
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'
    buf = io.BytesIO()
    scene.save(buf, "JPEG", exif=exif, comment=b"subject: Jane Doe", icc_profile=icc, xmp=xmp)
    return buf.getvalue()


def test_every_kind_of_jpeg_metadata_goes_and_the_picture_is_turned_upright():
    data = _tagged_jpeg()
    original = decoded(data)
    assert {"exif", "comment", "icc_profile", "xmp"} <= set(original.info)
    out = blur.anonymise(data)
    assert set(out.removed) >= {"EXIF", "GPS", "comment", "ICC profile", "XMP"}
    clean = decoded(out.data)
    assert clean.size == (300, 400)  # orientation 6 applied to the pixels, then the tag dropped
    assert len(clean.getexif()) == 0
    assert not {"exif", "comment", "icc_profile", "xmp", "photoshop"} & set(clean.info)
    assert b"Jane Doe" not in out.data and b"PhoneMaker" not in out.data and b"xmpmeta" not in out.data
    if shutil.which("exiftool"):  # the reference reader, where it is installed
        listed = subprocess.run(["exiftool", "-s", "-G", "-"], input=out.data, capture_output=True, check=True)
        assert b"GPS" not in listed.stdout and b"Comment" not in listed.stdout


def test_png_text_chunks_and_icc_go():
    scene = background(4, (320, 240))
    face_at(scene, "astronaut", face=90, at=(100, 40))
    meta = PngImagePlugin.PngInfo()
    meta.add_text("Author", "Jane Doe")
    meta.add_itxt("Description", "at the clinic", zip=True)
    buf = io.BytesIO()
    scene.save(buf, "PNG", pnginfo=meta, icc_profile=b"\0" * 128)
    out = blur.anonymise(buf.getvalue())
    assert {"PNG text", "ICC profile"} <= set(out.removed) and len(out.faces) == 1
    clean = decoded(out.data)
    assert clean.format == "PNG" and not clean.info.get("icc_profile") and not getattr(clean, "text", {})
    assert b"Jane Doe" not in out.data and b"clinic" not in out.data


def test_a_box_drawn_by_the_curator_is_blurred_too():
    scene = background(5, (400, 300))  # no face the detector can find: the curator marks where one is
    out = blur.anonymise(png(scene), boxes=[[100, 100, 180, 200]])
    assert out.faces == [{"box": [100.0, 100.0, 180.0, 200.0], "score": 1.0, "by": "curator"}]
    before, after = np.asarray(scene, dtype=np.int16), np.asarray(decoded(out.data), dtype=np.int16)
    assert np.abs(after[110:190, 110:170] - before[110:190, 110:170]).mean() > 5
    assert np.array_equal(after[:60, :60], before[:60, :60])  # past the box and its margin, PNG is lossless


def test_a_face_near_the_threshold_is_flagged_and_the_second_pass_finds_a_face_too_small_for_the_first():
    scene = background(6, (640, 480))
    truth = face_at(scene, "astronaut", face=11, at=(300, 200))  # 11 px: under what CenterFace sees at 1x
    assert blur.anonymise(png(scene)).faces == []
    second = blur.anonymise(png(scene), blur.Options(second_pass=True))
    assert [f["by"] for f in second.faces] == [blur.SECOND_PASS] and "only the second pass found a face" in second.flags
    x0, y0, x1, y1 = second.faces[0]["box"]  # in the image's own pixels, round the true face
    assert x0 <= truth[0] + 4 and y0 <= truth[1] + 4 and x1 >= truth[2] - 4 and y1 >= truth[3] - 4
    scene = background(6, (640, 480))
    face_at(scene, "astronaut", face=150, at=(200, 100))
    near = blur.anonymise(png(scene), blur.Options(threshold=0.5, near=0.49))
    assert "a face scored near the threshold" in near.flags


def test_a_file_that_is_not_an_image_or_cannot_be_decoded_comes_back_unchanged_with_its_reason():
    assert blur.anonymise(b"subject,label\nA,1\n").problem == "not an image"
    cut = jpeg(background(7, (300, 200)))[:400]
    out = blur.anonymise(cut)
    assert out.data is None and out.problem.startswith("unreadable")


def test_a_decompression_bomb_is_refused_before_it_is_decoded():
    # A PNG whose header claims 40,000 x 40,000 pixels: decoding would take 4.8 GB.
    buf = io.BytesIO()
    Image.new("1", (40_000, 40_000)).save(buf, "PNG")
    out = blur.anonymise(buf.getvalue())
    assert out.data is None and out.problem == "too many pixels to decode safely"


def test_16_bit_cmyk_and_palette_images_are_blurred_in_a_mode_their_format_keeps():
    scene = background(8, (400, 300))
    truth = face_at(scene, "grace", face=140, at=(120, 60))
    x0, y0, x1, y1 = (round(v) for v in truth)

    deep = Image.fromarray(np.asarray(scene.convert("L"), dtype=np.uint16) * 257)
    assert deep.mode == "I;16"
    out = blur.anonymise(png(deep))
    clean = decoded(out.data)
    assert clean.mode in ("I;16", "I") and len(out.faces) == 1
    diff = np.abs(np.asarray(clean, dtype=np.int64) - np.asarray(deep, dtype=np.int64))[y0:y1, x0:x1]
    assert diff.mean() > 1000  # 16-bit units: the face changed

    buf = io.BytesIO()
    scene.convert("CMYK").save(buf, "JPEG")
    cmyk = blur.anonymise(buf.getvalue())
    assert decoded(cmyk.data).mode == "RGB" and "CMYK converted to RGB" in cmyk.flags and len(cmyk.faces) == 1

    palette = blur.anonymise(png(scene.convert("P", palette=Image.Palette.ADAPTIVE)))
    assert decoded(palette.data).format == "PNG" and len(palette.faces) == 1


def test_every_frame_of_an_animated_gif_is_blurred():
    out = blur.anonymise(animated_gif())
    assert "animated: 3 frames, each blurred" in out.flags
    assert sorted(f.get("frame", 0) for f in out.faces) == [0, 1, 2]
    clean = decoded(out.data)
    assert getattr(clean, "n_frames", 1) == 3 and clean.info.get("duration") == 120
