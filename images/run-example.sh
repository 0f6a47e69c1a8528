#!/bin/sh
# Builds a release swiftbox (static Swift standard library), builds the busybox
# sample bundle and runs a container from it. Run as root on Debian.
set -eu
cd "$(dirname "$0")/.."
sh Tests/install-deps.sh
export PATH="/opt/swift/usr/bin:$PATH"
swift build -c release --static-swift-stdlib -q
bin="$(swift build -c release --show-bin-path)/swiftbox"
images/make-busybox-bundle.sh images/out/busybox "$bin" \
    sh -c 'echo "hello from $(hostname): pid $$, $(ls /sys/class/net | wc -l) network interface(s)"; id'
cd images/out/busybox
"$bin" run "example-$$"
