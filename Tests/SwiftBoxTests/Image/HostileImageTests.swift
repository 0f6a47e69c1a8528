#if canImport(Glibc)
import Glibc
#endif
import Testing
import SwiftBox

/// Hand-made hostile images: every one is refused with a clear error, nothing
/// outside the target is touched (the canary), and nothing is stored.
@Suite struct HostileImageTests {
    /// Loads `layers` (JSON array of make-layout layers, `CANARY` replaced by an
    /// escape to the canary) and expects the load to fail with `message`.
    func expectRefused(_ layers: String, _ message: String, limits: UnpackLimits = UnpackLimits(),
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        let canary = try ImageFixtures.Canary()
        defer { canary.remove() }
        let layout = try ImageFixtures.layout(
            #"{"ref": "evil", "layers": "# + substitute(substitute(layers, "ABSCANARY", canary.dir), "CANARY", canary.escape) + "}")
        defer { _ = try? FS.removeAll(layout) }
        try ImageFixtures.withStore(limits: limits) { store, dir in
            do {
                _ = try store.load(path: layout)
                Issue.record("the hostile image was loaded", sourceLocation: sourceLocation)
            } catch let e as SwiftBoxError {
                #expect(e.message.contains(message), "\(e.message)", sourceLocation: sourceLocation)
            }
            #expect(canary.intact, "something was written outside the target", sourceLocation: sourceLocation)
            #expect(ImageFixtures.contents(store) == (0, 0, 0, 0), "something was stored", sourceLocation: sourceLocation)
        }
    }

    func substitute(_ text: String, _ what: String, _ with: String) -> String {
        var out = "", rest = Substring(text)
        while let r = rest.firstRange(of: what) { out += rest[..<r.lowerBound] + with; rest = rest[r.upperBound...] }
        return out + rest
    }

    @Test func dotDotEntryIsRefused() throws {
        try expectRefused(#"[{"entries": [{"name": "CANARY/pwned", "data": "x"}]}]"#, "contains \"..\"")
    }

    @Test func absoluteEntryIsRefused() throws {
        try expectRefused(#"[{"entries": [{"name": "ABSCANARY/pwned", "data": "x"}]}]"#, "absolute path")
    }

    @Test func writingThroughAnEscapingSymlinkIsRefused() throws {
        try expectRefused(#"[{"entries": [{"name": "link", "type": "symlink", "target": "CANARY"},"#
                          + #"{"name": "link/pwned", "data": "x"}]}]"#, "escapes")
    }

    @Test func hardlinkOutsideIsRefused() throws {
        try expectRefused(#"[{"entries": [{"name": "h", "type": "hardlink", "target": "CANARY/file"}]}]"#, "contains \"..\"")
        try expectRefused(#"[{"entries": [{"name": "h", "type": "hardlink", "target": "ABSCANARY/file"}]}]"#, "absolute path")
    }

    @Test func hardlinkThroughAnEscapingSymlinkIsRefused() throws {
        try expectRefused(#"[{"entries": [{"name": "up", "type": "symlink", "target": "CANARY"},"#
                          + #"{"name": "h", "type": "hardlink", "target": "up/file"}]}]"#, "escapes")
    }

    @Test func symlinkLoopIsRefused() throws {
        try expectRefused(#"[{"entries": [{"name": "a", "type": "symlink", "target": "b"},"#
                          + #"{"name": "b", "type": "symlink", "target": "a"}, {"name": "a/x", "data": "x"}]}]"#,
                          "too many symbolic links")
    }

    @Test func symlinkReplacingADirectoryCannotRedirectLaterEntries() throws {
        try expectRefused(#"[{"entries": [{"name": "d", "type": "dir"}, {"name": "d/ok", "data": "x"},"#
                          + #"{"name": "d", "type": "symlink", "target": "CANARY"}, {"name": "d/pwned", "data": "x"}]}]"#,
                          "escapes")
        try expectRefused(#"[{"entries": [{"name": "d", "type": "dir"}, {"name": "d", "data": "file now"},"#
                          + #"{"name": "d/x", "data": "x"}]}]"#, "is not a directory")
    }

    @Test func tooManyEntriesAreRefused() throws {
        let entries = (0..<50).map { #"{"name": "f\#($0)", "data": "x"}"# }.joined(separator: ",")
        try expectRefused("[{\"entries\": [\(entries)]}]", "more than 20 entries", limits: UnpackLimits(maxEntries: 20))
    }

    @Test func decompressionBombIsRefused() throws {
        try expectRefused(#"[{"entries": [{"name": "zeros", "zeros": 8388608}]}]"#, "expands to more than",
                          limits: UnpackLimits(maxLayerBytes: 1 << 20))
    }

    @Test(arguments: [("digest", "digest mismatch"), ("truncate", "size mismatch"), ("size", "size mismatch"),
                      ("diffid", "diffID mismatch"), ("missing", "is missing"), ("mediatype", "unknown layer media type")])
    func badLayerIsRefused(corruption: String, message: String) throws {
        try expectRefused(#"[{"entries": [{"name": "ok", "data": "fine"}]},"#
                          + #"{"entries": [{"name": "big", "zeros": 100000}, {"name": "f", "data": "x"}], "corrupt": "\#(corruption)"}]"#,
                          message)
    }

    @Test func escapeThroughALowerLayersSymlinkIsRefusedWhenFlattened() throws {
        let canary = try ImageFixtures.Canary()
        defer { canary.remove() }
        let layout = try ImageFixtures.layout(#"{"layers": [{"entries": [{"name": "link", "type": "symlink", "target": ""#
            + canary.escape + #""}]}, {"entries": [{"name": "link/pwned", "data": "x"}]}]}"#)
        defer { _ = try? FS.removeAll(layout) }
        try ImageFixtures.withStore { store, dir in
            // Overlay layout: each layer is its own tree, so layer 2 makes a
            // directory "link" that hides the symlink (as Docker's overlay2 does).
            let image = try store.load(path: layout)
            let rootfs = try store.prepareRootfs(for: image, at: dir + "/c", mode: .overlay)
            #expect(FS.isDirectory(rootfs + "/link") && FS.exists(rootfs + "/link/pwned"))
            try store.releaseRootfs(at: dir + "/c")
            // Flattened: writing through the symlink is refused, nothing is left.
            #expect(throws: SwiftBoxError.self) { try store.unpack(image, into: dir + "/flat") }
            #expect(!FS.exists(dir + "/flat"))
            #expect(canary.intact)
        }
    }

    @Test func absoluteSymlinksResolveInsideTheTarget() throws {
        let canary = try ImageFixtures.Canary()
        defer { canary.remove() }
        let layout = try ImageFixtures.layout(#"{"layers": [{"entries": [{"name": "abs", "type": "symlink", "target": ""#
            + canary.dir + #""}, {"name": "abs/inside", "data": "x"}]}]}"#)
        defer { _ = try? FS.removeAll(layout) }
        try ImageFixtures.withStore { store, dir in
            let image = try store.load(path: layout)
            try store.unpack(image, into: dir + "/flat")
            // /abs points to <canary> *in the image*: the file lands in the target.
            #expect(FS.exists(dir + "/flat" + canary.dir + "/inside"))
            #expect(canary.intact)
        }
    }

    @Test func corruptOrMissingArchiveIsRefused() throws {
        let dir = try TestSupport.tempDir("swiftbox-badarchive")
        defer { _ = try? FS.removeAll(dir) }
        try FS.write(dir + "/junk.tar", (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 7919) }, create: true)
        try ImageFixtures.withStore { store, _ in
            #expect(throws: SwiftBoxError.self) { try store.load(path: dir + "/junk.tar") }
            #expect(throws: SwiftBoxError.self) { try store.load(path: dir + "/absent") }
            #expect(ImageFixtures.contents(store) == (0, 0, 0, 0))
        }
        // A truncated docker archive (made by skopeo, cut in half).
        let cut = TestSupport.sh("head -c 3000000 \(ImageFixtures.umoci)/docker.tar > \(dir)/cut.tar")
        #expect(cut.code == 0)
        let r = TestSupport.swiftbox(["image", "load", "--store", dir + "/store", dir + "/cut.tar"])
        #expect(r.code != 0)
        #expect(r.stderr.contains("cut.tar"), "\(r.stderr)")
    }
}
