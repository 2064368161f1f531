import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Reads from a descriptor that may block (stdin, pipes) without tying up a thread of
/// the cooperative pool, and gives up promptly when the calling task is cancelled.
public enum BlockingRead {
    public enum Result: Sendable {
        case data([UInt8])
        case eof
        case cancelled
        case failed(IOError)
    }

    public static func read(_ fd: Int32, maxBytes: Int = 65536, path: String = "stdin") async -> Result {
        let cancelled = Cancelled()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Result, Never>) in
                DispatchQueue.global().async {
                    var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                    while true {
                        if cancelled.flag.load(ordering: .acquiring) { c.resume(returning: .cancelled); return }
                        let r = poll(&p, 1, 100)
                        if r < 0 && errno != EINTR { c.resume(returning: .failed(IOError("poll", path: path))); return }
                        if r > 0 { break }
                    }
                    var buf = [UInt8](repeating: 0, count: maxBytes)
                    while true {
                        let n = Glibc.read(fd, &buf, maxBytes)
                        if n < 0 && errno == EINTR { continue }
                        if n < 0 { c.resume(returning: .failed(IOError("read", path: path))); return }
                        if n == 0 { c.resume(returning: .eof); return }
                        buf.removeSubrange(n...)
                        c.resume(returning: .data(buf))
                        return
                    }
                }
            }
        } onCancel: {
            cancelled.flag.store(true, ordering: .releasing)
        }
    }

    private final class Cancelled: Sendable {
        let flag = Atomic<Bool>(false)
    }
}
