#!/bin/sh
# The README's first command: builds release swiftbox and swiftbox-init
# (images/build-release.sh), builds the busybox sample root filesystem, runs one OCI container
# from it, then runs the example service file images/services/hello.json
# (three supervised replicas) for a few seconds and stops it the way Ctrl-C
# does. Run as root on Debian.
set -eu
cd "$(dirname "$0")/.."
sh Tests/install-deps.sh
export PATH="/opt/swift/usr/bin:$PATH"
bin="$(sh images/build-release.sh | tail -n 1)/swiftbox"
images/make-busybox-bundle.sh images/out/busybox "$bin" \
    sh -c 'echo "hello from $(hostname): pid $$, $(ls /sys/class/net | wc -l) network interface(s)"; id'

echo "== one container: swiftbox run --bundle images/out/busybox"
(cd images/out/busybox && "$bin" run "example-$$")

echo "== a service: swiftbox run images/services/hello.json (stopped with SIGINT after 5 s)"
timeout --preserve-status -s INT 5 "$bin" run images/services/hello.json
