"""The PyTorch oracle for nabla's parity tests.

Reads one JSON request per line on stdin, runs it with python3-torch, and writes one JSON
response per line on stdout. A request carries Python code and named input tensors (values
exact: floats as float.hex strings); the code assigns `out` (a tensor, a number, None, or a
list/tuple of those). The response carries `out` back the same way, or the exception's text.
"""
import json
import math
import sys
import traceback

import torch

DTYPES = {
    "float32": torch.float32, "float64": torch.float64, "int64": torch.int64,
    "int32": torch.int32, "uint8": torch.uint8, "bool": torch.bool,
    "float16": torch.float16, "int16": torch.int16, "int8": torch.int8,
}
NAMES = {v: k for k, v in DTYPES.items()}


def decode(spec):
    dtype = DTYPES[spec["dtype"]]
    if dtype.is_floating_point:
        values = [float.fromhex(v) for v in spec["data"]]
    elif dtype == torch.bool:
        values = [bool(v) for v in spec["data"]]
    else:
        values = [int(v) for v in spec["data"]]
    # clone(): a fresh tensor, not a view of the flat list (in-place rules differ for views).
    t = torch.tensor(values, dtype=dtype).reshape(spec["shape"]).clone()
    if spec.get("requires_grad"):
        t.requires_grad_(True)
    return t


def encode(v):
    if v is None:
        return None
    if isinstance(v, bool):
        return {"scalar": "bool", "value": v}
    if isinstance(v, int):
        return {"scalar": "int", "value": v}
    if isinstance(v, float):
        return {"scalar": "float", "value": float.hex(v)}
    if isinstance(v, torch.Size):
        return {"scalar": "list", "value": list(v)}
    if isinstance(v, str):
        return {"scalar": "str", "value": v}
    if isinstance(v, torch.Tensor):
        t = v.detach().contiguous()
        if t.dtype not in NAMES:
            raise TypeError(f"oracle cannot send dtype {t.dtype}")
        flat = t.reshape(-1).tolist()
        if t.dtype.is_floating_point:
            data = [float.hex(float(x)) for x in flat]
        elif t.dtype == torch.bool:
            data = [1 if x else 0 for x in flat]
        else:
            data = [int(x) for x in flat]
        return {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data": data}
    raise TypeError(f"oracle cannot send {type(v).__name__}")


def run(request):
    env = {"torch": torch, "math": math}
    for name, spec in request.get("inputs", {}).items():
        env[name] = decode(spec)
    exec(request["code"], env)
    out = env.get("out")
    if isinstance(out, (list, tuple)) and not isinstance(out, torch.Size):
        return [encode(x) for x in out]
    return [encode(out)]


def main():
    torch.set_printoptions(precision=4)
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            resp = {"ok": True, "out": run(json.loads(line))}
        except Exception as e:  # noqa: BLE001 — every failure goes back to the test
            resp = {"ok": False, "error": str(e), "type": type(e).__name__,
                    "trace": traceback.format_exc()}
        sys.stdout.write(json.dumps(resp) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
