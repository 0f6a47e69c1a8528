#!/bin/sh
# Runs the whole swiftbox test suite on this machine, as root: installs what it
# needs, builds (debug), runs every test against real containers on this
# kernel (cgroup v1/hybrid here), then checks the static release binaries
# (Tests/release-smoke.sh) and runs the cgroup v2 suite with them on a real v2
# kernel under qemu (Tests/vm/run-v2-tests.sh).
set -u
cd "$(dirname "$0")/.."
sh Tests/install-deps.sh || exit 1
export PATH="/opt/swift/usr/bin:$PATH"
swift build --build-tests -q || exit 1
swift test --skip-build
unit=$?
# The release binaries as shipped (static): on this host, then on a cgroup v2 kernel.
smoke=1
if bindir=$(sh images/build-release.sh); then
    sh Tests/release-smoke.sh "$bindir"
    smoke=$?
fi
sh Tests/vm/run-v2-tests.sh
vm=$?
echo "swift test: exit $unit; release smoke test: exit $smoke; cgroup v2 VM suite: exit $vm"
[ "$unit" -eq 0 ] && [ "$smoke" -eq 0 ] && [ "$vm" -eq 0 ]
