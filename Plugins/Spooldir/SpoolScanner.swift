import SluiceCore
#if canImport(Glibc)
import Glibc
#endif

/// A file's size and modification time: if either changed, the file changed.
struct FileStamp: Equatable, Sendable, CustomStringConvertible {
    var size: UInt64
    var seconds: Int
    var nanoseconds: Int

    init(_ st: stat) {
        size = UInt64(st.st_size)
        seconds = Int(st.st_mtim.tv_sec)
        nanoseconds = Int(st.st_mtim.tv_nsec)
    }

    init(size: UInt64, seconds: Int, nanoseconds: Int) {
        self.size = size
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    var modified: Double { Double(seconds) + Double(nanoseconds) / 1e9 }

    var description: String { "size \(size), modified \(seconds).\(nanoseconds)" }
}

/// A file of the spool that may be read now.
struct SpoolCandidate: Sendable {
    let path: String
    /// The path below the spool directory (the marker's name under `tracker_dir`).
    let relative: String
    let id: FileIdentity
    let stamp: FileStamp
}

/// Lists the spool directory: which files are ready, in which order, and which must be set
/// aside because their name was used before.
///
/// Not read yet: hidden files (a writer's temporary name), files carrying the completed or
/// `.ERROR` suffix, files the patterns exclude, and files modified less than `min_file_age`
/// ago (still being written). Ready files are ordered by `consume_order`.
struct SpoolScanner {
    let options: SpoolOptions
    private let include: Regex
    private let ignore: Regex
    /// The `tracker_dir` markers, cached across scans.
    let markers = SpoolMarkers()

    /// Java's `matches()`, which Flume uses: the pattern must match the whole name.
    static func wholeName(_ pattern: String) -> String { "\\A(?:" + pattern + ")\\z" }

    init(options: SpoolOptions) throws {
        self.options = options
        include = try Regex(Self.wholeName(options.includePattern))
        ignore = try Regex(Self.wholeName(options.ignorePattern))
    }

    struct Listing {
        /// Files ready to read, in reading order.
        var ready: [SpoolCandidate] = []
        /// Files whose name was completed before (the completed file or marker exists and is
        /// another file): they are set aside, unread.
        var reused: [SpoolCandidate] = []
        /// Directories that could not be listed, with the reason.
        var errors: [String] = []
    }

    /// Lists the spool; files in `busy` (being read or awaiting acknowledgements) are left out.
    func scan(busy: Set<String>, now: Double) -> Listing {
        var listing = Listing()
        markers.beginScan()
        walk(options.directory, relative: "", busy: busy, now: now, into: &listing)
        switch options.order {
        case .oldest:
            listing.ready.sort { ($0.stamp.seconds, $0.stamp.nanoseconds, $0.path) < ($1.stamp.seconds, $1.stamp.nanoseconds, $1.path) }
        case .youngest:
            listing.ready.sort {
                ($0.stamp.seconds, $0.stamp.nanoseconds) != ($1.stamp.seconds, $1.stamp.nanoseconds)
                    ? ($0.stamp.seconds, $0.stamp.nanoseconds) > ($1.stamp.seconds, $1.stamp.nanoseconds)
                    : $0.path < $1.path
            }
        case .random:
            listing.ready.shuffle()
        }
        return listing
    }

    /// Whether `name` is one the input never reads: hidden, already completed or set aside.
    func isSkipped(_ name: String) -> Bool {
        name.hasPrefix(".") || name.hasSuffix(options.suffix) || name.hasSuffix(SpoolOptions.errorSuffix)
    }

    private func walk(_ dir: String, relative: String, busy: Set<String>, now: Double, into listing: inout Listing) {
        guard let names = Self.names(in: dir) else {
            listing.errors.append("cannot list \(dir): \(IOError("opendir", path: dir))")
            return
        }
        let all = Set(names)
        for name in names where !isSkipped(name) {
            let path = dir + "/" + name
            let rel = relative.isEmpty ? name : relative + "/" + name
            var st = stat()
            guard stat(path, &st) == 0 else { continue }  // gone meanwhile
            let kind = st.st_mode & S_IFMT
            if kind == S_IFDIR {
                if options.recursive && path != options.trackerDir {
                    walk(path, relative: rel, busy: busy, now: now, into: &listing)
                }
                continue
            }
            guard kind == S_IFREG, !busy.contains(path) else { continue }
            guard matches(name) else { continue }
            let candidate = SpoolCandidate(path: path, relative: rel, id: FileIdentity(st), stamp: FileStamp(st))
            switch completedState(candidate, siblings: all) {
            case .done: continue
            case .reused: listing.reused.append(candidate); continue
            case .new: break
            }
            // Still being written (or touched): wait until it was left alone for min_file_age.
            if now - candidate.stamp.modified < options.minFileAge { continue }
            listing.ready.append(candidate)
        }
    }

    func matches(_ name: String) -> Bool {
        include.matches(name) && !ignore.matches(name)
    }

    enum CompletedState { case new, done, reused }

    /// Whether a file of this name was completed before. With `rename`, the completed name
    /// existing means a new file reuses the name. With `tracker_dir`, the marker records the
    /// file it was written for: the same file is done, another one reuses the name.
    func completedState(_ c: SpoolCandidate, siblings: Set<String>) -> CompletedState {
        if let trackerDir = options.trackerDir {
            let marker = trackerDir + "/" + c.relative + options.suffix
            let dir = FileIO.directoryName(marker), name = String(marker.dropFirst(dir.count + 1))
            let expected = Self.markerText(c.id, c.stamp)
            guard let text = markers.text(dir: dir, name: name) else { return .new }
            if text == expected { return .done }
            // Setting a file aside is for good: confirm from the marker itself, not the cache.
            guard let current = markers.text(dir: dir, name: name, fresh: true) else { return .new }
            return current == expected ? .done : .reused
        }
        if options.deleteImmediately { return .new }
        let name = c.relative.split(separator: "/").last.map(String.init) ?? c.relative
        return siblings.contains(name + options.suffix) ? .reused : .new
    }

    /// What a marker holds: which file was completed (identity, size and modification time).
    static func markerText(_ id: FileIdentity, _ stamp: FileStamp) -> String {
        "\(id) \(stamp.size) \(stamp.seconds).\(stamp.nanoseconds)\n"
    }

    /// The entries of `dir` (without `.` and `..`), or nil if it cannot be read.
    static func names(in dir: String) -> [String]? {
        guard let d = opendir(dir) else { return nil }
        defer { closedir(d) }
        var out: [String] = []
        while let entry = readdir(d) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { out.append(name) }
        }
        return out
    }
}
