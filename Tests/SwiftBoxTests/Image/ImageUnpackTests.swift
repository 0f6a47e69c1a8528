#if canImport(Glibc)
import Glibc
#endif
import Testing
import SwiftBox

/// Images made by umoci and converted by skopeo, unpacked by swiftbox, must
/// equal `umoci unpack` of the same image file by file.
@Suite struct ImageUnpackTests {
    @Test(arguments: ["layout", "oci.tar", "docker.tar"])
    func flattenedUnpackMatchesUmoci(source: String) throws {
        let images = ImageFixtures.umoci
        try ImageFixtures.withStore { store, dir in
            let image = try store.load(path: images + "/" + source)
            #expect(image.layers.count == 3)
            try store.unpack(image, into: dir + "/flat")
            let r = ImageFixtures.compare(images + "/umoci-rootfs", dir + "/flat")
            #expect(r.code == 0, "\(r.stdout)")
        }
    }

    @Test func gnuSparseFilesStaySparse() throws {
        let dir = try TestSupport.tempDir("swiftbox-sparse")
        defer { _ = try? FS.removeAll(dir) }
        let r = TestSupport.sh("""
            cd \(dir) && mkdir src && dd if=/dev/urandom of=src/sparse bs=4096 count=1 seek=4096 2>/dev/null &&
            tar --sparse --format=gnu -cf sparse.tar -C src sparse
            """)
        #expect(r.code == 0, "\(r.stderr)")
        let layout = try ImageFixtures.layout(#"{"layers": [{"tarfile": "\#(dir)/sparse.tar"}]}"#)
        defer { _ = try? FS.removeAll(layout) }
        try ImageFixtures.withStore { store, tmp in
            let image = try store.load(path: layout)
            try store.unpack(image, into: tmp + "/flat")
            let st = FS.info(tmp + "/flat/sparse")
            #expect(st.map { $0.st_size == 4097 * 4096 && $0.st_blocks * 512 < 1 << 20 } == true)
            #expect(TestSupport.sh("cmp \(dir)/src/sparse \(tmp)/flat/sparse").code == 0)
        }
    }

    @Test(arguments: [RootfsMode.overlay, RootfsMode.copy])
    func containerRootfsMatchesUmocAndIsReleased(mode: RootfsMode) throws {
        let images = ImageFixtures.umoci
        try ImageFixtures.withStore { store, dir in
            let image = try store.load(path: images + "/layout")
            let rootfs = try store.prepareRootfs(for: image, at: dir + "/c1", mode: mode)
            #expect(rootfs == dir + "/c1/rootfs")
            #expect(ImageFixtures.isMounted(rootfs) == (mode == .overlay))
            let r = ImageFixtures.compare(images + "/umoci-rootfs", rootfs)
            #expect(r.code == 0, "\(r.stdout)")
            // prune must not take layers from under a container.
            _ = try store.remove("test", force: true)
            let pruned = try store.prune()
            #expect(pruned.layers.isEmpty)
            try store.releaseRootfs(at: dir + "/c1")
            #expect(!ImageFixtures.isMounted(rootfs))
            #expect(!FS.exists(rootfs) && !FS.exists(dir + "/c1/overlay"))
            #expect(try store.prune().layers.count == 3)
            #expect(ImageFixtures.contents(store) == (0, 0, 0, 0))
        }
    }

    @Test func overlayContainersShareLayersAndKeepWritesPrivate() throws {
        try ImageFixtures.withStore { store, dir in
            let image = try store.load(path: ImageFixtures.umoci + "/layout")
            let a = try store.prepareRootfs(for: image, at: dir + "/a")
            let b = try store.prepareRootfs(for: image, at: dir + "/b")
            defer { try? store.releaseRootfs(at: dir + "/a"); try? store.releaseRootfs(at: dir + "/b") }
            try FS.write(a + "/zoo/file", "written by a\n")
            #expect(try FS.readString(b + "/zoo/file") == "hello\n")
            #expect(try FS.readString(a + "/zoo/file") == "written by a\n")
            // The shared layer is untouched; the write went to a's upper dir.
            #expect(try FS.readString(store.layerPath(image.layers[0].diffID) + "/zoo/file") == "hello\n")
            #expect(FS.exists(dir + "/a/overlay/upper/zoo/file"))
        }
    }

    @Test func defaultsComeFromTheConfigAndTheImagesOwnUsers() throws {
        try ImageFixtures.withStore { store, _ in
            let d = try store.defaults(for: try store.load(path: ImageFixtures.umoci + "/docker.tar"))
            #expect(d.args == ["/bin/sh", "-c", "echo $GREETING"])
            #expect(d.env.contains("GREETING=hi"))
            #expect(d.workingDir == "/home/app")
            #expect(d.user.uid == 1000 && d.user.gid == 1000 && d.user.additionalGids == [50])
            #expect(d.stopSignal == SIGINT)
            #expect(d.exposedPorts == ["8080/tcp"])
            #expect(d.volumes == ["/data"])
            #expect(d.labels["org.example"] == "yes")
        }
    }

    @Test func specFromImageRunsTheImagesCommand() throws {
        let dir = try TestSupport.tempDir("swiftbox-spec-image")
        defer { _ = try? FS.removeAll(dir) }
        let load = TestSupport.swiftbox(["image", "load", "--store", dir + "/store", "--name", "greeter", ImageFixtures.umoci + "/oci.tar"])
        #expect(load.code == 0, "\(load.stderr)")
        let spec = TestSupport.swiftbox(["spec", "--image", "greeter", "--store", dir + "/store", "--bundle", dir + "/bundle"])
        #expect(spec.code == 0, "\(spec.stderr)")
        let run = TestSupport.swiftbox(["run", "--bundle", dir + "/bundle", TestSupport.uniqueID("img")], root: dir + "/state")
        #expect(run.code == 0, "\(run.stderr)")
        #expect(run.stdout == "hi\n")
    }
}
