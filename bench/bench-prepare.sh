# Sourced by the benchmark scripts after their option parsing: installs what is missing
# (launch/setup.sh, python3 for the reports, and the Debian packages named in
# $bench_packages, e.g. iproute2), builds the release binary unless GANTRY_BIN names one,
# and loads the run environment (launch/env.sh). Sets `binary` (absolute) and `limit`
# (seconds per run: GANTRY_TIMEOUT, default 300).
"$root/launch/setup.sh"
bench_missing=()
command -v python3 >/dev/null 2>&1 || bench_missing+=(python3-minimal)
for bench_package in ${bench_packages:-}; do
    dpkg -s "$bench_package" >/dev/null 2>&1 || bench_missing+=("$bench_package")
done
if [ ${#bench_missing[@]} -gt 0 ]; then
    echo "$(basename "$0"): installing ${bench_missing[*]}"
    if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${bench_missing[@]}" >/dev/null
fi
if [ -z "${GANTRY_BIN:-}" ]; then
    "$root/launch/build.sh"
    binary=$root/.build/release/gantry
else
    binary=$GANTRY_BIN
    case "$binary" in /*) ;; *) binary=$(pwd)/$binary ;; esac
fi
[ -x "$binary" ] || { echo "$(basename "$0"): no gantry binary at $binary" >&2; exit 2; }
. "$root/launch/env.sh"
limit=${GANTRY_TIMEOUT:-300}
