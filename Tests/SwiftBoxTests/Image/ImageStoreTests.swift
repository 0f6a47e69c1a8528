#if canImport(Glibc)
import Glibc
#endif
import Testing
import SwiftBox

/// The store and its CLI: whiteouts, selection, formats, ls/inspect/rm/prune.
@Suite struct ImageStoreTests {
    static let twoLayers = #"{"ref": "wh", "layers": ["#
        + #"{"entries": [{"name": "d", "type": "dir"}, {"name": "d/a", "data": "a"}, {"name": "d/sub/b", "data": "b"},"#
        + #"{"name": "e", "type": "dir"}, {"name": "e/x", "data": "x"}, {"name": "f", "data": "f"}, {"name": "g", "data": "g"}]},"#
        + #"{"entries": [{"name": "d/early", "data": "same layer, before the marker"}, {"name": "d/.wh..wh..opq", "data": ""},"#
        + #"{"name": "d/c", "data": "c"}, {"name": ".wh.f", "data": ""}, {"name": "e/.wh.x", "data": ""},"#
        + #"{"name": "g", "data": "new g"}, {"name": ".wh.g", "data": ""}], "compression": "zstd"}]}"#

    @Test func whiteoutsAndOpaqueDirectoriesInBothLayouts() throws {
        let layout = try ImageFixtures.layout(ImageStoreTests.twoLayers)
        defer { _ = try? FS.removeAll(layout) }
        try ImageFixtures.withStore { store, dir in
            let image = try store.load(path: layout)
            try store.unpack(image, into: dir + "/flat")
            let rootfs = try store.prepareRootfs(for: image, at: dir + "/c", mode: .overlay)
            defer { try? store.releaseRootfs(at: dir + "/c") }
            for root in [dir + "/flat", rootfs] {
                #expect(try FS.list(root + "/d").sorted() == ["c", "early"], "\(root)")
                #expect(try FS.list(root + "/e").isEmpty, "\(root)")
                #expect(!FS.exists(root + "/f"), "\(root)")
                // A whiteout never hides its own layer's entry.
                #expect(try FS.readString(root + "/g") == "new g", "\(root)")
            }
            // The overlay layout itself: a 0:0 device and the opaque attribute.
            let upper = store.layerPath(image.layers[1].diffID)
            #expect(FS.info(upper + "/f").map { ($0.st_mode & S_IFMT) == S_IFCHR && $0.st_rdev == 0 } == true)
            #expect(TestSupport.sh("getfattr --only-values -n trusted.overlay.opaque \(upper)/d 2>/dev/null || python3 -c \"import os;print(os.getxattr('\(upper)/d','trusted.overlay.opaque').decode())\"").stdout.hasPrefix("y"))
        }
    }

    @Test func selectionByRefAndPlatformExplainsWhatIsThere() throws {
        let layout = try ImageFixtures.layout(#"{"ref": "one", "layers": [{"entries": [{"name": "one", "data": "1"}]}]}"#)
        defer { _ = try? FS.removeAll(layout) }
        _ = try ImageFixtures.layout(#"{"ref": "arm", "arch": "arm64", "layers": [{"entries": [{"name": "arm", "data": "a"}]}]}"#, into: layout)
        try ImageFixtures.withStore { store, _ in
            #expect(try store.load(path: layout).names == ["one"])
            let arm = try store.load(path: layout, options: LoadOptions(platform: try Platform.parse("linux/arm64")))
            #expect(arm.names == ["arm"] && arm.platform.architecture == "arm64")
            do {
                _ = try store.load(path: layout, options: LoadOptions(ref: "nope"))
                Issue.record("loaded a ref that is not there")
            } catch let e as SwiftBoxError {
                #expect(e.message.contains("no image named \"nope\"") && e.message.contains("one [linux/amd64]")
                        && e.message.contains("arm [linux/arm64]"), "\(e.message)")
            }
            _ = try ImageFixtures.layout(#"{"ref": "two", "layers": [{"entries": [{"name": "two", "data": "2"}]}]}"#, into: layout)
            do {
                _ = try store.load(path: layout)
                Issue.record("loaded one of two linux/amd64 images without a ref")
            } catch let e as SwiftBoxError {
                #expect(e.message.contains("choose one with --ref") && e.message.contains("two"), "\(e.message)")
            }
            #expect(try store.load(path: layout, options: LoadOptions(ref: "two")).names == ["two"])
        }
    }

    @Test func nestedIndexesAreFollowed() throws {
        let layout = try ImageFixtures.layout(#"{"ref": "inner", "layers": [{"entries": [{"name": "x", "data": "x"}]}]}"#)
        defer { _ = try? FS.removeAll(layout) }
        // Move index.json's manifest list into a blob and point a new index at it.
        let r = TestSupport.run(["/usr/bin/env", "python3", "-c", """
            import hashlib, json, sys
            d = sys.argv[1]; raw = open(d + "/index.json", "rb").read()
            h = hashlib.sha256(raw).hexdigest(); open(d + "/blobs/sha256/" + h, "wb").write(raw)
            json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json",
                "digest": "sha256:" + h, "size": len(raw)}]}, open(d + "/index.json", "w"))
            """, layout])
        #expect(r.code == 0, "\(r.stderr)")
        try ImageFixtures.withStore { store, _ in
            let image = try store.load(path: layout)
            #expect(image.names == ["inner"])
        }
    }

    @Test func layersAreUnpackedOnceAndShared() throws {
        try ImageFixtures.withStore { store, _ in
            let a = try store.load(path: ImageFixtures.umoci + "/layout", name: "a")
            let b = try store.load(path: ImageFixtures.umoci + "/oci.tar", name: "b")
            #expect(a.id == b.id)
            #expect(ImageFixtures.contents(store).layers == 3)
            #expect(try store.image(named: "a").names == ["a", "b"])
        }
    }

    @Test func cliLoadListInspectRemovePrune() throws {
        let dir = try TestSupport.tempDir("swiftbox-image-cli")
        defer { _ = try? FS.removeAll(dir) }
        let s = ["--store", dir + "/store"]
        let load = TestSupport.swiftbox(["image", "load"] + s + [ImageFixtures.umoci + "/docker.tar"])
        #expect(load.code == 0, "\(load.stderr)")
        #expect(load.stderr.isEmpty, "progress must stay off when stderr is not a terminal")
        let ls = TestSupport.swiftbox(["image", "ls"] + s)
        #expect(ls.stdout.contains("docker.io/swiftbox/test:1") && ls.stdout.contains("linux/amd64"), "\(ls.stdout)")
        let json = TestSupport.swiftbox(["image", "ls", "--format", "json"] + s)
        #expect(json.stdout.contains("\"diffID\""), "\(json.stdout)")
        let inspect = TestSupport.swiftbox(["image", "inspect"] + s + ["swiftbox/test:1"])
        #expect(inspect.code == 0 && inspect.stdout.contains("\"workingDir\" : \"/home/app\""), "\(inspect.stdout)\(inspect.stderr)")
        let unpack = TestSupport.swiftbox(["image", "unpack"] + s + ["swiftbox/test:1", dir + "/rootfs"])
        #expect(unpack.code == 0 && FS.exists(dir + "/rootfs/bin/busybox"), "\(unpack.stderr)")
        let mount = TestSupport.swiftbox(["image", "mount"] + s + ["swiftbox/test:1", dir + "/c"])
        #expect(mount.code == 0 && mount.stdout == dir + "/c/rootfs\n", "\(mount.stderr)")
        #expect(ImageFixtures.isMounted(dir + "/c/rootfs") && FS.exists(dir + "/c/rootfs/zoo/file"))
        let busy = TestSupport.swiftbox(["image", "rm"] + s + ["swiftbox/test:1"])
        #expect(busy.code != 0 && busy.stderr.contains("used by 1 container"), "\(busy.stderr)")
        #expect(TestSupport.swiftbox(["image", "unmount"] + s + [dir + "/c"]).code == 0)
        #expect(!ImageFixtures.isMounted(dir + "/c/rootfs") && !FS.exists(dir + "/c/rootfs"))
        let missing = TestSupport.swiftbox(["image", "inspect"] + s + ["nope"])
        #expect(missing.code != 0 && missing.stderr.contains("no image \"nope\"") && missing.stderr.contains("swiftbox/test:1"))
        #expect(TestSupport.swiftbox(["image", "rm"] + s + ["swiftbox/test:1"]).code == 0)
        let prune = TestSupport.swiftbox(["image", "prune"] + s)
        #expect(prune.stdout.hasPrefix("removed 3 layers and 5 blobs"), "\(prune.stdout)")
        #expect(TestSupport.sh("ls \(dir)/store/layers/sha256 \(dir)/store/blobs/sha256 \(dir)/store/images").stdout
            .split(separator: "\n").allSatisfy { $0.hasSuffix(":") }, "store not empty after prune")
    }
}
