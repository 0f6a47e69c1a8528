// libarchive for the image unpacker, linked statically with its
// decompressors (see carchive.c), and nettle for SHA-256 of blobs.
#ifndef CARCHIVE_H
#define CARCHIVE_H
#include <archive.h>
#include <archive_entry.h>
#include <nettle/sha2.h>
#endif
