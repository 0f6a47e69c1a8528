#!/bin/sh
# Runs the whole swiftbox test suite on this machine, as root: installs what it
# needs, builds (debug), then runs every test against real containers.
set -eu
cd "$(dirname "$0")/.."
sh Tests/install-deps.sh
export PATH="/opt/swift/usr/bin:$PATH"
swift build --build-tests 2>&1 | grep -Ev '^\[[0-9]+/[0-9]+\] (Compiling|Write|Emitting|Linking|Build|Applying)' || true
swift build --build-tests -q
swift test --skip-build
