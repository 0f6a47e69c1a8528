// libarchive, zlib, zstd, xz and bzip2 are linked statically (see
// Package.swift): only the objects the image unpacker uses (the tar and raw
// readers, four decompressors) end up in swiftbox, so a process that never
// reads an image pays nothing for them at start-up, and nothing pulls in
// libxml2 or ICU the way the shared libarchive does. SwiftPM needs one
// source file in a C target; this is it.
#include "carchive.h"
