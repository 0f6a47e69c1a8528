#!/bin/sh
# Builds the release binaries and prints the folder that holds them:
#   swiftbox       the CLI and library (static Swift standard library)
#   swiftbox-init  container init alone, a fully static executable; swiftbox
#                  runs it when it sits next to it (see docs/architecture.md)
# Install both side by side (e.g. /usr/local/bin).
set -eu
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
swift build -c release --static-swift-stdlib -q --product swiftbox
swift build -c release --scratch-path .build-init -q --product swiftbox-init -Xswiftc -static-executable 2>&1 |
    grep -v "statically linked applications requires at runtime" || true
bin="$(swift build -c release --show-bin-path)"
init="$(swift build -c release --scratch-path .build-init --show-bin-path)/swiftbox-init"
[ -x "$init" ] || { echo "build-release: no $init" >&2; exit 1; }
install -m 0755 "$init" "$bin/swiftbox-init"
echo "$bin"
