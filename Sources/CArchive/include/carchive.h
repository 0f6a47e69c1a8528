// libarchive for the image unpacker, loaded on first use.
//
// Every `swiftbox` process (each container start execs it twice) would
// otherwise map and relocate libarchive and its dependencies — libxml2 and
// ICU among them — at start-up, which measured at about 60% of the
// instructions of a `swiftbox state`. loader.c defines the archive_*
// functions swiftbox uses as forwarders that dlopen("libarchive.so.13") once.
// nettle (SHA-256 of blobs) is small and linked directly.
#ifndef CARCHIVE_H
#define CARCHIVE_H
#include <archive.h>
#include <archive_entry.h>
#include <nettle/sha2.h>

/// Loads libarchive now; returns NULL, or a message saying why it cannot be loaded.
const char *carchive_load_error(void);
#endif
