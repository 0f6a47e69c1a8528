// libarchive reads every layer and archive; nettle (already a dependency of
// Debian's libarchive, package nettle-dev) computes the SHA-256 digests that
// every blob is verified against.
#include <archive.h>
#include <archive_entry.h>
#include <nettle/sha2.h>
