"""Anonymise one image: find the faces, blur them, and rebuild the file from its pixels with no metadata.

The pixels are turned upright first (`ImageOps.exif_transpose`), since the EXIF orientation tag goes with the
rest of the metadata. A plain Pillow re-save keeps JPEG comments, ICC profiles and PNG text, so every frame is
rebuilt from raw pixels and saved with nothing else. What was removed is listed by the name a curator knows
(EXIF, GPS, XMP, IPTC, ICC profile, comment, PNG text) for the privacy report.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from PIL import Image, ImageFilter, ImageOps, ImageSequence, UnidentifiedImageError

from accord.privacy import faces

MAX_PIXELS = 80_000_000  # per frame; Pillow's bomb guard stops larger images before they are decoded
BlurKind = Literal["gaussian", "pixelate", "box"]
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp", "TIFF": "image/tiff"}
EXIF_GPS = 0x8825
SECOND_PASS = "centerface-2x"  # the `by` of a face only the second pass found


@dataclass(frozen=True)
class Options:
    blur: BlurKind = "gaussian"
    margin: float = 0.3  # added on every side, as a share of the face box's width and height
    threshold: float = faces.DETECT_THRESHOLD
    second_pass: bool = False  # CenterFace at twice the scale, on images where the first pass found nothing
    near: float = 0.15  # detections scoring under threshold + near are flagged for a human look
    # The detector sees the image at up to this many pixels a side. Search shrinks to 640 (a face there is the
    # subject of a photo); a blur must also find a 20 px face in a crowd, which needs the full resolution.
    side: int = 1920

    def __post_init__(self) -> None:
        if self.blur not in ("gaussian", "pixelate", "box"):
            raise ValueError(f"unknown blur kind {self.blur!r}")
        if not 0 <= self.margin <= 1 or not 0.05 <= self.threshold <= 0.95:
            raise ValueError("margin must be 0 to 1 and threshold 0.05 to 0.95")


@dataclass
class Outcome:
    """What happened to one file. `data` is None when the file is kept byte for byte (not an image, unreadable)."""

    data: bytes | None
    media_type: str
    faces: list[dict[str, Any]] = field(default_factory=list)  # {"box": [x0, y0, x1, y1], "score", "by"}
    removed: list[str] = field(default_factory=list)  # metadata removed, by name
    flags: list[str] = field(default_factory=list)  # why a human should look at it
    problem: str | None = None  # why it was kept as is


def metadata_of(img: Image.Image) -> list[str]:
    """The kinds of metadata an opened image carries, by the names the report uses."""
    found = set()
    exif = img.getexif()
    if len(exif):
        found.add("EXIF")
        if exif.get_ifd(EXIF_GPS) or EXIF_GPS in exif:
            found.add("GPS")
    info = img.info
    if "icc_profile" in info:
        found.add("ICC profile")
    if "comment" in info or "comments" in info:
        found.add("comment")
    if "xmp" in info or "XML:com.adobe.xmp" in info:
        found.add("XMP")
    if "photoshop" in info or any(marker == "APP13" for marker, _ in getattr(img, "applist", [])):
        found.add("IPTC")
    if getattr(img, "text", None) or any(k in info for k in ("Description", "Author", "Software", "Title")):
        found.add("PNG text")
    if img.format == "TIFF" and any(tag in getattr(img, "tag_v2", {}) for tag in (270, 305, 315, 33432)):
        found.add("TIFF tags")
    return sorted(found)


def anonymise(data: bytes, options: Options | None = None, *, boxes: Sequence[Sequence[float]] = ()) -> Outcome:
    """Blur every face found in `data` (and the `boxes` a curator drew), strip its metadata, re-encode it in its
    own format. A file that is not an image, or that cannot be decoded, comes back unchanged with its reason."""
    options = options or Options()
    fmt = ""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            fmt = img.format or ""
            if img.width * img.height > MAX_PIXELS:
                return Outcome(None, "application/octet-stream", problem="too many pixels to decode safely")
            frames = [frame.copy() for frame in ImageSequence.Iterator(img)]
    except UnidentifiedImageError:
        return Outcome(None, "application/octet-stream", problem="not an image")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return Outcome(None, "application/octet-stream", problem="too many pixels to decode safely")
    except Exception as exc:  # truncated or corrupt: Pillow raises OSError, SyntaxError, ValueError, ...
        return Outcome(None, FORMATS.get(fmt, "application/octet-stream"), problem=f"unreadable ({_gist(exc)})")
    if fmt not in FORMATS:
        return Outcome(None, "application/octet-stream", problem=f"{fmt or 'this'} format is not rewritten")
    out = Outcome(None, FORMATS[fmt], removed=metadata_of(img))
    if len(frames) > 1:
        out.flags.append(f"animated: {len(frames)} frames, each blurred")
    cleaned = [_clean_frame(ImageOps.exif_transpose(f) if n == 0 else f, n, options, boxes, out)
               for n, f in enumerate(frames)]  # fmt: skip
    out.data = _encode(cleaned, fmt, img, out)
    return out


def _clean_frame(
    frame: Image.Image, n: int, options: Options, boxes: Sequence[Sequence[float]], out: Outcome
) -> Image.Image:
    mode = frame.mode
    if mode == "P" or mode == "PA":
        frame = frame.convert("RGBA" if "transparency" in frame.info or mode == "PA" else "RGB")
    elif mode == "CMYK":
        frame = frame.convert("RGB")
        out.flags.append("CMYK converted to RGB")
    elif mode not in ("1", "LA", "RGBA", "RGB", "L", "I;16", "I", "F"):
        frame = frame.convert("RGB")
    pixels = _pixels(frame)
    if pixels.ndim == 3 and pixels.shape[2] == 4:
        pixels = pixels[:, :, :3]
    found = _faces(np.ascontiguousarray(pixels), options, out)
    for box in boxes:
        found.append({"box": [float(v) for v in box], "score": 1.0, "by": "curator"})
    for face in found:
        frame = _blur(frame, face["box"], options)
        if n:
            face["frame"] = n
    out.faces.extend(found)
    # A new image from the raw pixels: nothing from the old file's headers comes along.
    return Image.frombytes(frame.mode, frame.size, frame.tobytes())


def _pixels(frame: Image.Image) -> np.ndarray:
    """8-bit RGB(A)/grey pixels for the detector, whatever the frame's depth."""
    if frame.mode in ("I;16", "I", "F"):
        arr = np.asarray(frame, dtype=np.float64)
        top = arr.max() or 1.0
        grey = np.clip(arr / top * 255, 0, 255).astype(np.uint8)
        return np.repeat(grey[:, :, None], 3, axis=2)
    if frame.mode in ("1", "L", "LA"):
        return np.asarray(frame.convert("RGB"), dtype=np.uint8)
    return np.asarray(frame, dtype=np.uint8)


def _faces(pixels: np.ndarray, options: Options, out: Outcome) -> list[dict[str, Any]]:
    seen = faces.detect(pixels, threshold=options.threshold, side=options.side)
    found: list[dict[str, Any]] = [
        {"box": [round(v, 1) for v in f.box], "score": round(f.score, 3), "by": "centerface"} for f in seen
    ]
    if any(f.score < options.threshold + options.near for f in seen):
        out.flags.append("a face scored near the threshold")
    if not found and options.second_pass:
        found = [
            {"box": [round(v, 1) for v in f.box], "score": round(f.score, 3), "by": SECOND_PASS}
            for f in second_pass(pixels, options)
        ]
        if found:
            out.flags.append("only the second pass found a face")
    return found


def second_pass(pixels: np.ndarray, options: Options) -> list[faces.Face]:
    """CenterFace again on the image at twice the scale the first pass saw (at most 2x its own size), where a
    10-14 px face becomes one it finds. bench/second_pass.py measured the bundled candidates on the images the
    first pass missed: this found all of them at no false positive, at 4.5 times the first pass's cost; dlib's
    HOG (any upsampling) and its CNN found none, since they do not see faces under 20-40 px."""
    h, w = pixels.shape[:2]
    scale = min(2.0, 2 * min(1.0, options.side / max(h, w)))
    size = (round(w * scale), round(h * scale))
    big = np.asarray(Image.fromarray(np.ascontiguousarray(pixels[:, :, :3])).resize(size, Image.Resampling.BICUBIC))
    found = faces.detect(big, threshold=options.threshold, side=max(size))
    return [faces.Face(tuple(v / scale for v in f.box), f.score) for f in found]


def _region(box: list[float], margin: float, size: tuple[int, int]) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = box
    dx, dy = (x1 - x0) * margin, (y1 - y0) * margin
    w, h = size
    return (max(0, int(x0 - dx)), max(0, int(y0 - dy)), min(w, int(np.ceil(x1 + dx))), min(h, int(np.ceil(y1 + dy))))


def _blur(frame: Image.Image, box: list[float], options: Options) -> Image.Image:
    x0, y0, x1, y1 = _region(box, options.margin, frame.size)
    if x1 - x0 < 1 or y1 - y0 < 1:
        return frame
    side = max(x1 - x0, y1 - y0)
    if frame.mode in ("I;16", "I", "F"):
        arr = np.array(frame)
        arr[y0:y1, x0:x1] = _flat(arr[y0:y1, x0:x1], options.blur, side)
        return Image.fromarray(arr)
    patch = frame.crop((x0, y0, x1, y1))
    if options.blur == "box":
        patch = Image.new(patch.mode, patch.size, 0)
    elif options.blur == "pixelate":
        cells = max(1, round(side / 8))  # about 8 blocks across the face: shape stays, identity goes
        small = patch.resize((max(1, (x1 - x0) // cells), max(1, (y1 - y0) // cells)), Image.Resampling.BOX)
        patch = small.resize(patch.size, Image.Resampling.NEAREST)
    else:
        # Blurred with its surroundings, so the edge of the patch fades instead of showing a hard seam.
        radius = max(3.0, side / 5)
        pad = int(radius * 2)
        ox, oy = max(0, x0 - pad), max(0, y0 - pad)
        wide = frame.crop((ox, oy, min(frame.width, x1 + pad), min(frame.height, y1 + pad)))
        for _ in range(2):  # twice: one pass of a radius this size still leaves a face's layout readable
            wide = wide.filter(ImageFilter.GaussianBlur(radius))
        patch = wide.crop((x0 - ox, y0 - oy, x1 - ox, y1 - oy))
    frame = frame.copy()
    frame.paste(patch, (x0, y0))
    return frame


def _flat(region: np.ndarray, kind: BlurKind, side: int) -> np.ndarray:
    """Deep (16-bit, float) pixels: Pillow's filters do not take them, so a block mean stands in for every kind
    but the solid box."""
    if kind == "box":
        return np.zeros_like(region)
    cells = max(1, round(side / 8))
    out = region.astype(np.float64)
    for y in range(0, region.shape[0], cells):
        for x in range(0, region.shape[1], cells):
            out[y : y + cells, x : x + cells] = out[y : y + cells, x : x + cells].mean()
    return out.astype(region.dtype)


def _encode(frames: list[Image.Image], fmt: str, original: Image.Image, out: Outcome) -> bytes:
    buf = io.BytesIO()
    first = frames[0]
    if fmt == "JPEG":
        if first.mode not in ("RGB", "L"):
            first = first.convert("RGB")
        first.save(buf, "JPEG", quality=92, optimize=False)
    elif fmt == "GIF":
        timing = {k: original.info[k] for k in ("duration", "loop") if k in original.info}
        first.save(buf, "GIF", save_all=len(frames) > 1, append_images=frames[1:], **timing)
    elif fmt == "WEBP":
        first.save(buf, "WEBP", quality=92, save_all=len(frames) > 1, append_images=frames[1:])
    elif fmt == "TIFF":
        first.save(buf, "TIFF", compression="tiff_deflate", save_all=len(frames) > 1, append_images=frames[1:])
    else:
        first.save(buf, "PNG")
    return buf.getvalue()


def _gist(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:120]
