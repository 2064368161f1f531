import SluiceCore
#if canImport(Glibc)
import Glibc
#endif

/// The completion markers under `tracker_dir`, with their texts cached, so that a poll over
/// thousands of completed files does not read thousands of markers.
///
/// Each scan lists every marker directory it consults once (one `readdir`, which gives each
/// name's inode). A marker's text is read when its name first appears or its inode changed,
/// and taken from the cache otherwise: markers are written under a temporary name and renamed
/// into place, so a rewritten marker is a new inode. A removed marker disappears from the
/// next listing. Used by one task (the spooldir's loop).
final class SpoolMarkers {
    private final class Directory {
        var scan: UInt64 = 0
        /// Name → inode, as listed in scan `scan`.
        var inodes: [String: UInt64] = [:]
        var texts: [String: (inode: UInt64, text: String)] = [:]
    }

    private var directories: [String: Directory] = [:]
    private var scan: UInt64 = 0
    /// Marker files read so far (the cache's misses).
    private(set) var reads = 0

    /// A new scan begins: directories are listed again at their first lookup.
    func beginScan() { scan += 1 }

    /// The text of the marker `name` in `dir`, nil if there is none. `fresh` reads the file
    /// even when its text is cached.
    func text(dir: String, name: String, fresh: Bool = false) -> String? {
        let d = directory(dir)
        guard let inode = d.inodes[name] else { return nil }
        if !fresh, let cached = d.texts[name], cached.inode == inode { return cached.text }
        reads += 1
        guard let bytes = FileIO.readFile(dir + "/" + name) else {
            d.texts[name] = nil
            return nil
        }
        let text = String(decoding: bytes, as: UTF8.self)
        d.texts[name] = (inode, text)
        return text
    }

    private func directory(_ path: String) -> Directory {
        let d = directories[path] ?? Directory()
        directories[path] = d
        if d.scan != scan {
            d.scan = scan
            d.inodes = Self.inodes(in: path)
            d.texts = d.texts.filter { d.inodes[$0.key] == $0.value.inode }
        }
        return d
    }

    /// The entries of `dir` with their inodes (empty if it cannot be read, e.g. not made yet).
    private static func inodes(in dir: String) -> [String: UInt64] {
        guard let handle = opendir(dir) else { return [:] }
        defer { closedir(handle) }
        var out: [String: UInt64] = [:]
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            out[name] = UInt64(entry.pointee.d_ino)
        }
        return out
    }
}
