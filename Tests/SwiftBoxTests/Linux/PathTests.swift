import Testing
import SwiftBox

/// The lexical path helpers work on bytes; these are their contracts.
@Suite struct PathTests {
    @Test func dirnameAndBasename() {
        let cases: [(String, String, String)] = [
            ("/a/b", "/a", "b"), ("/a/b/", "/a", "b"), ("a/b", "a", "b"), ("a", ".", "a"), ("/", "/", ""),
            ("/a", "/", "a"), ("//a", "/", "a"), ("/é/ü", "/é", "ü"), ("", ".", ""),
        ]
        for (path, dir, base) in cases {
            #expect(FS.dirname(path) == dir, "dirname(\(path))")
            #expect(FS.basename(path) == base, "basename(\(path))")
        }
    }

    @Test func joinTreatsAnAbsolutePathAsRelativeToTheBase() {
        let cases: [(String, String, String)] = [
            ("/", "/a", "/a"), ("/x/", "a", "/x/a"), ("/x", "/", "/x"), ("/", "", "/"), ("", "a", "/a"),
            ("/r", "//etc/passwd", "/r/etc/passwd"), ("/r/", "é", "/r/é"),
        ]
        for (base, path, joined) in cases { #expect(FS.join(base, path) == joined, "join(\(base), \(path))") }
    }

    @Test func cleanRemovesDotsAndRepeatedSlashesLexically() {
        let cases: [(String, String)] = [
            ("/a/./b/../c", "/a/c"), ("/..", "/"), ("", "/"), ("/a//b/", "/a/b"), ("/../../x", "/x"),
            ("/a/...", "/a/..."), ("/é/./ü/..", "/é"),
        ]
        for (path, cleaned) in cases { #expect(FS.clean(path) == cleaned, "clean(\(path))") }
    }
}
