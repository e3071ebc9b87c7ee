import hashlib
import json
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image, ImageStat

from accord.demo import images
from accord.demo.images import AT_USTC_SCENARIOS, FULL, LABELS, SMALL


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    """Every dataset generated once at the scale `accord demo` loads."""
    root = tmp_path_factory.mktemp("demo")
    return {slug: gen(root / slug, FULL) for slug, gen in images.GENERATORS.items()}


def _labels(root: Path) -> dict[str, dict]:
    rows = [json.loads(line) for line in (root / LABELS).read_text().splitlines()]
    return {row["path"]: row for row in rows}


def _jpegs(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*.jpg")}


def test_each_sidecar_labels_every_generated_image_exactly_once(full):
    for generated in full.values():
        labels = _labels(generated.root)
        assert set(labels) == _jpegs(generated.root)
        assert len(labels) == generated.files
        assert sorted(labels) == [
            json.loads(line)["path"] for line in (generated.root / LABELS).read_text().splitlines()
        ]


def test_llvip_pairs_a_visible_and_an_infrared_image_under_the_same_name(full):
    root = full["llvip"].root
    visible = {p.name for p in (root / "visible").iterdir()}
    infrared = {p.name for p in (root / "infrared").iterdir()}
    assert visible == infrared and len(visible) == FULL.llvip_pairs + len(images.FACES["llvip"])
    assert "010001.jpg" in visible
    with Image.open(root / "visible/010001.jpg") as vis, Image.open(root / "infrared/010001.jpg") as ir:
        assert vis.size == ir.size == (320, 256)
        assert vis.mode == "RGB" and ir.mode == "L"
    labels = _labels(root)
    for name in visible:
        v, i = labels[f"visible/{name}"], labels[f"infrared/{name}"]
        assert v["attributes"]["modality"] == "visible" and i["attributes"]["modality"] == "infrared"
        assert v["attributes"]["scene"] == i["attributes"]["scene"]
        assert v["preview"] == i["preview"]
        assert v.get("subject") == i.get("subject")
        if name.startswith("049"):  # the frames with a real face carry the person's label (the privacy desk's)
            assert v["subject"] in images.FACE_LABELS["llvip"].values() and not v["preview"]
        else:
            assert "subject" not in v  # LLVIP has no identity labels
    assert full["llvip"].preview == 2 * FULL.llvip_preview_pairs


def test_llvip_night_scenes_are_dark_in_visible_light_while_people_glow_in_infrared(full):
    root = full["llvip"].root
    labels = _labels(root)
    dark = [p for p, row in labels.items() if p.startswith("visible/") and row["attributes"]["light"] == "dark"]
    assert dark
    for rel in dark[:10]:
        with Image.open(root / rel) as vis, Image.open(root / rel.replace("visible/", "infrared/")) as ir:
            assert ImageStat.Stat(vis.convert("L")).mean[0] < 60
            assert ir.getextrema()[1] >= 200  # warm bodies are the brightest things in the thermal image


def test_cion_al_keeps_each_identitys_crops_in_a_folder_named_by_its_label(full):
    generated = full["cion-al"]
    labels = _labels(generated.root)
    per_identity = Counter(row["subject"] for row in labels.values())
    assert len(per_identity) == FULL.cion_identities
    assert set(per_identity.values()) == {FULL.cion_crops}
    for path, row in labels.items():
        assert path.split("/")[0] == row["subject"]
        assert row["attributes"]["camera"] and row["attributes"]["video"]
    with Image.open(generated.root / next(iter(labels))) as crop:
        assert crop.size == (128, 256)
    assert 8 <= generated.preview <= 12


def test_at_ustc_shows_every_volunteer_in_all_six_scenarios_in_rgb_and_ir(full):
    generated = full["at-ustc"]
    labels = _labels(generated.root)
    seen = {(row["subject"], row["attributes"]["scenario"], row["attributes"]["modality"]) for row in labels.values()}
    volunteers = {row["subject"] for row in labels.values()}
    assert len(volunteers) == FULL.at_ustc_volunteers
    for person in volunteers:
        assert {s for p, s, _ in seen if p == person} == set(AT_USTC_SCENARIOS)
        assert {m for p, _, m in seen if p == person} == {"rgb", "ir"}
    for path, row in labels.items():
        assert path.startswith(f"{row['attributes']['modality']}/{row['subject']}/")
        assert row["attributes"]["camera"].startswith("c")
    assert 8 <= generated.preview <= 12
    assert {row["attributes"]["modality"] for row in labels.values() if row["preview"]} == {"rgb", "ir"}


def test_shhq_images_are_1024_tall_512_wide_and_exactly_100_form_the_preview(full):
    generated = full["shhq"]
    assert generated.files == 120 + len(images.FACES["shhq"])
    assert generated.preview == 100
    assert sum(row["preview"] for row in _labels(generated.root).values()) == 100
    for path in list(generated.root.rglob("*.jpg"))[:20]:
        with Image.open(path) as img:
            assert img.size == (512, 1024)


def test_generated_images_are_pictures_not_noise(full):
    # Noise does not compress: a 512x1024 JPEG of random pixels is several hundred KB; a drawn scene is small.
    for path in list(full["shhq"].root.rglob("*.jpg"))[:10]:
        assert path.stat().st_size < 60_000
        with Image.open(path) as img:
            assert max(ImageStat.Stat(img).stddev) > 15  # and not a blank canvas either


def _digests(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file()
    }


def test_the_same_seed_gives_the_same_bytes_and_another_seed_other_images(tmp_path):
    for slug, gen in images.GENERATORS.items():
        first = _digests(gen(tmp_path / "a" / slug, SMALL).root)
        again = _digests(gen(tmp_path / "b" / slug, SMALL).root)
        other = _digests(gen(tmp_path / "c" / slug, SMALL, seed=7).root)
        assert first == again
        assert first != other


def test_generating_into_a_folder_that_is_not_empty_is_refused_and_leaves_it_alone(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        images.shhq(tmp_path, SMALL)
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
