#if canImport(Glibc)
import Glibc
#endif

/// An errno-carrying I/O failure. Most are worth a retry (disk full, EIO, EAGAIN).
public struct IOError: Error, CustomStringConvertible, Sendable {
    public let operation: String
    public let path: String
    public let code: Int32
    public init(_ operation: String, path: String, code: Int32 = errno) {
        self.operation = operation
        self.path = path
        self.code = code
    }
    public var description: String { "\(operation) \(path): \(String(cString: strerror(code)))" }
}

/// Thin wrappers over POSIX file calls; plugins use these instead of raw descriptors.
public enum FileIO {
    /// Writes every byte, retrying short writes and EINTR.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(IOError) {
        var off = 0
        while off < bytes.count {
            guard let base = bytes.baseAddress else { return }
            let n = write(fd, base + off, bytes.count - off)
            if n < 0 {
                if errno == EINTR { continue }
                throw IOError("write", path: path)
            }
            off += n
        }
    }

    public static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(IOError) {
        // Returns errno (0 on success) rather than throwing through the closure.
        let code: Int32 = bytes.withUnsafeBytes { buf in
            do { try writeAll(fd, buf, path: path); return 0 } catch let e as IOError { return e.code } catch { return EIO }
        }
        if code != 0 { throw IOError("write", path: path, code: code) }
    }

    /// Reads a whole small file, or nil if it cannot be opened.
    public static func readFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buf, buf.count)
            if n < 0 { if errno == EINTR { continue }; return nil }
            if n == 0 { break }
            out.append(contentsOf: buf[0..<n])
        }
        return out
    }

    /// Writes a file atomically: a temp file beside it, fsync (unless `sync` is false), rename.
    public static func writeAtomically(_ path: String, _ bytes: [UInt8], sync: Bool = true) throws(IOError) {
        let tmp = path + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw IOError("open", path: tmp) }
        do {
            try writeAll(fd, bytes, path: tmp)
        } catch {
            close(fd)
            throw error
        }
        if sync { fsync(fd) }
        close(fd)
        guard rename(tmp, path) == 0 else { throw IOError("rename", path: path) }
    }

    /// `mkdir -p`.
    public static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws(IOError) {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, mode) != 0 && errno != EEXIST { throw IOError("mkdir", path: current) }
        }
    }

    public static func isDirectory(_ path: String) -> Bool { ConfigFiles.kind(of: path) == .directory }

    public static func isRegularFile(_ path: String) -> Bool { ConfigFiles.kind(of: path) == .file }

    public static func directoryName(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
