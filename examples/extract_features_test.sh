#!/usr/bin/env bash
# The feature-extraction example as its README section shows it, on weights that python3-torch
# makes here (torchvision's resnet18, random initialisation: nothing is downloaded): its .npy and
# .csv must equal torchvision's features for the same images and preprocessing.
#   examples/extract_features_test.sh <path to extract_features>
set -euo pipefail
example="$1"
python="${PYTHON:-/usr/bin/python3}"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/images"
"$python" - "$dir" <<'PY'
import sys, numpy as np, torch, torchvision
from PIL import Image
d = sys.argv[1]
torch.manual_seed(0)
model = torchvision.models.resnet18()
# BatchNorm statistics other than the defaults, so that eval mode matters.
with torch.no_grad():
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1); m.running_var.uniform_(0.5, 1.5)
torch.save(model.state_dict(), f"{d}/resnet18.pth")
rng = np.random.default_rng(1)
Image.fromarray(rng.integers(0, 256, (80, 96, 3), dtype=np.uint8)).save(f"{d}/images/a.png")
Image.fromarray(rng.integers(0, 256, (90, 70, 3), dtype=np.uint8)).save(f"{d}/images/b.jpg", quality=90)
Image.fromarray(rng.integers(0, 256, (75, 75), dtype=np.uint8)).save(f"{d}/images/c.png")
PY
"$example" --weights "$dir/resnet18.pth" --images "$dir/images" --out "$dir/features" --resize 72 --crop 64 \
  --batch-size 2
"$python" - "$dir" <<'PY'
import sys, csv, numpy as np, torch, torchvision
from torchvision.io import read_image, ImageReadMode
import torchvision.transforms as T
d = sys.argv[1]
model = torchvision.models.resnet18()
model.load_state_dict(torch.load(f"{d}/resnet18.pth"))
model.fc = torch.nn.Identity()
model.eval()
pre = T.Compose([T.Resize(72, antialias=True), T.CenterCrop(64), T.ConvertImageDtype(torch.float),
                 T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
names = ["a.png", "b.jpg", "c.png"]
x = torch.stack([pre(read_image(f"{d}/images/{n}", ImageReadMode.RGB)) for n in names])
with torch.no_grad():
    expected = model(x).numpy()
got = np.load(f"{d}/features.npy")
assert got.shape == (3, 512), got.shape
err = np.abs(got - expected).max()
scale = max(1.0, np.abs(expected).max())
assert err <= 1e-4 * scale, f"features differ from torchvision's by {err}"
rows = list(csv.reader(open(f"{d}/features.csv")))
assert rows[0][:2] == ["file", "f0"] and len(rows[0]) == 513, rows[0][:3]
assert [r[0] for r in rows[1:]] == names, [r[0] for r in rows[1:]]
assert np.abs(np.array([[float(v) for v in r[1:]] for r in rows[1:]]) - got).max() <= 1e-6 * scale
print(f"extract_features: 3 images, 512 features each, max difference from torchvision {err:.2e}")
PY
