#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A thread of the system's own, outside Swift's cooperative pool: for the loops of C
/// libraries that block (librdkafka's polls, libcurl's multi), single blocking calls, and
/// deep recursion on a large stack. The one place that calls `pthread_create`.
public struct OSThread: @unchecked Sendable {
    private let thread: pthread_t

    /// The system refused a thread; `code` is `pthread_create`'s error number.
    public struct StartError: Error, Sendable {
        public let code: Int32
    }

    /// Runs `body` on a new thread with a stack of `stackSize` bytes (the system's default
    /// when nil). Join or detach the thread once.
    public static func start(stackSize: Int? = nil, _ body: @escaping @Sendable () -> Void) throws(StartError) -> OSThread {
        var attr = pthread_attr_t()
        pthread_attr_init(&attr)
        defer { pthread_attr_destroy(&attr) }
        if let stackSize { pthread_attr_setstacksize(&attr, stackSize) }
        // The thread owns the box: released when `body` returned, or here if no thread starts.
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        #if canImport(Darwin)
        var thread: pthread_t?
        #else
        var thread = pthread_t()
        #endif
        let rc = pthread_create(&thread, &attr, { arg in
            #if canImport(Darwin)
            let arg: UnsafeMutableRawPointer? = arg
            #endif
            guard let arg else { return nil }
            Unmanaged<Box>.fromOpaque(arg).takeRetainedValue().body()
            return nil
        }, box)
        #if canImport(Darwin)
        guard rc == 0, let thread else {
            Unmanaged<Box>.fromOpaque(box).release()
            throw StartError(code: rc)
        }
        #else
        guard rc == 0 else {
            Unmanaged<Box>.fromOpaque(box).release()
            throw StartError(code: rc)
        }
        #endif
        return OSThread(thread: thread)
    }

    /// Waits until the thread's body returned.
    public func join() {
        pthread_join(thread, nil)
    }

    /// True on this thread itself.
    public var isCurrent: Bool {
        pthread_equal(pthread_self(), thread) != 0
    }

    /// Lets the thread end by itself; nobody joins it.
    public func detach() {
        pthread_detach(thread)
    }

    private final class Box: Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
}
