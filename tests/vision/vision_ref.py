"""torchvision references for tests/vision, run inside the oracle process (tests/support).

model_case builds a torchvision model after manual_seed, fingerprints its initial state
(CRC-32 of every state_dict tensor's bytes), gives its BatchNorm layers real statistics, and
writes the state, an input, the eval-mode output and the features (the last layer replaced by
nn.Identity) with torch.save, for the C++ test to read back with nabla::torch_load.
"""
import re
import zlib

import numpy as np
import torch
import torchvision


def _crc(t):
    return zlib.crc32(t.detach().contiguous().numpy().tobytes())


def model_case(name, seed, num_classes, input_shape, last, path, skip_numel=5_000_000, **kwargs):
    torch.manual_seed(seed)
    model = getattr(torchvision.models, name)(num_classes=num_classes, **kwargs)
    state = model.state_dict()
    keys = list(state.keys())
    shapes = [list(t.shape) for t in state.values()]
    crcs = [_crc(t) for t in state.values()]
    # nabla's AdaptiveAvgPool2d options do not keep whether a square size was given as a tuple:
    # it prints output_size=(7, 7) as output_size=7.
    text = re.sub(r"AdaptiveAvgPool2d\(output_size=\((\d+), \1\)\)", r"AdaptiveAvgPool2d(output_size=\1)", repr(model))
    params = [k for k, _ in model.named_parameters()]
    buffers = [k for k, _ in model.named_buffers()]

    gen = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        # BatchNorm statistics of a random batch (cumulative average over one batch: exactly its
        # statistics), affine parameters away from 1 and 0.
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.reset_running_stats()
                m.momentum = None
                m.weight.uniform_(0.5, 1.5, generator=gen)
                m.bias.uniform_(-0.2, 0.2, generator=gen)
        model.train()
        model(torch.randn([4] + input_shape[1:], generator=gen))
        model.eval()
        x = torch.randn(input_shape, generator=gen)
        out = model(x)
        trained = model.state_dict()
        setattr(model, last, torch.nn.Identity())
        features = model(x)

    arrays = {}
    skipped = []
    for k, t in trained.items():
        if t.numel() > skip_numel:
            skipped.append(k)  # the C++ side has it from the same seed (its CRC is checked)
        else:
            arrays[k] = t
    arrays["__input"] = x
    arrays["__output"] = out
    arrays["__features"] = features
    torch.save(arrays, path)
    return [",".join(keys), ";".join(",".join(map(str, s)) for s in shapes), ",".join(params),
            ",".join(buffers), ",".join(skipped), ",".join(map(str, crcs)), text]


def write_images(directory):
    """Small PNG and JPEG files of every kind read_image handles; returns their names."""
    from PIL import Image

    rng = np.random.default_rng(7)
    rgb = rng.integers(0, 256, (13, 17, 3), dtype=np.uint8)
    gray = rng.integers(0, 256, (11, 9), dtype=np.uint8)
    files = []

    def save(name, image, **kw):
        image.save(f"{directory}/{name}", **kw)
        files.append(name)

    save("rgb.png", Image.fromarray(rgb))
    save("gray.png", Image.fromarray(gray))
    save("gray_tRNS.png", Image.fromarray(gray), transparency=30)
    save("gray_alpha.png", Image.fromarray(np.stack([gray, 255 - gray], -1), "LA"))
    save("rgba.png", Image.fromarray(np.concatenate([rgb, rgb[:, :, :1]], -1), "RGBA"))
    save("bilevel.png", Image.fromarray(gray > 128))
    palette = Image.fromarray(rgb).convert("P", palette=Image.ADAPTIVE, colors=16)
    save("palette.png", palette)
    save("palette_tRNS.png", palette, transparency=3)
    save("baseline.jpg", Image.fromarray(rgb), quality=90)
    save("progressive.jpg", Image.fromarray(rgb), quality=75, progressive=True)
    save("subsampled.jpg", Image.fromarray(np.repeat(np.repeat(rgb, 3, 0), 3, 1)), quality=80, subsampling=2)
    save("gray.jpg", Image.fromarray(gray), quality=85)
    # An interlaced PNG: PIL writes none, so write one by hand (Adam7, RGB, filter 0 rows).
    _write_adam7_png(f"{directory}/adam7.png", rgb)
    files.append("adam7.png")
    return files


def _write_adam7_png(path, rgb):
    import struct

    h, w, _ = rgb.shape
    raw = b""
    for y0, x0, dy, dx in [(0, 0, 8, 8), (0, 4, 8, 8), (4, 0, 8, 4), (0, 2, 4, 4), (2, 0, 4, 2), (0, 1, 2, 2),
                           (1, 0, 2, 1)]:
        sub = rgb[y0::dy, x0::dx]
        if sub.shape[0] == 0 or sub.shape[1] == 0:
            continue
        for row in sub:
            raw += b"\x00" + row.tobytes()

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 1)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def read_images(directory, names):
    from torchvision.io import ImageReadMode, read_image

    return [read_image(f"{directory}/{n}", ImageReadMode.RGB) for n in names]


def init_crcs(name, seed, **kwargs):
    """The state_dict keys and CRC-32s of a model built after manual_seed(seed) with kwargs."""
    torch.manual_seed(seed)
    state = getattr(torchvision.models, name)(**kwargs).state_dict()
    return [",".join(state.keys()), ",".join(str(_crc(t)) for t in state.values())]
