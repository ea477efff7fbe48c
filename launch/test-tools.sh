#!/usr/bin/env bash
# Installs the outside tools Gantry's end-to-end tests check its files with, when missing:
# headless Chromium (Debian's `chromium`, which opens report.html) and a Python virtual
# environment holding Tests/python-requirements.txt (tensorboard, safetensors, numpy).
# Prints the environment's python on its last line. Used by launch/test.sh.
#
#   launch/test-tools.sh VENV_DIR
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${1:?usage: launch/test-tools.sh VENV_DIR}
requirements=$root/Tests/python-requirements.txt

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
python3 -c 'import ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
if [ ${#missing[@]} -gt 0 ]; then
    echo "gantry test tools: installing ${missing[*]}" >&2
    if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The environment is made again when the requirements change.
stamp=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ "$(cat "$venv/.gantry-stamp" 2>/dev/null)" != "$stamp" ]; then
    echo "gantry test tools: creating $venv ($(grep -v '^#' "$requirements" | tr '\n' ' '))" >&2
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$requirements" >&2
    echo "$stamp" > "$venv/.gantry-stamp"
fi
echo "$venv/bin/python"
