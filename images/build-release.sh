#!/bin/sh
# Builds the release binaries and prints the folder that holds them:
#   swiftbox       the CLI and library
#   swiftbox-init  container init alone; swiftbox runs it when it sits next to it
#                  (see docs/architecture.md)
# Both are fully static executables (no dynamic loader, no shared libraries:
# they start in a fraction of the time). Install them side by side (e.g.
# /usr/local/bin).
set -eu
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set -- -c release --scratch-path .build-release -Xswiftc -static-executable
for product in swiftbox swiftbox-init; do
    if ! swift build "$@" -q --product "$product" > "$log" 2>&1; then
        # glibc's notes about NSS and dlopen in static programs are not errors;
        # swiftbox resolves users from the container's own /etc/passwd.
        grep -v -e "statically linked applications requires at runtime" -e "is dangerous, better use" "$log" >&2
        echo "build-release: building $product failed" >&2
        exit 1
    fi
done
bin="$(swift build "$@" --show-bin-path)"
for product in swiftbox swiftbox-init; do
    [ -x "$bin/$product" ] || { echo "build-release: no $bin/$product" >&2; exit 1; }
done
echo "$bin"
