import SluiceCore
#if canImport(Glibc)
import Glibc
#endif

/// One spooled file being read, or read and waiting for the acknowledgements of its events.
final class SpoolFile {
    let candidate: SpoolCandidate
    /// Commits the read position from the acknowledgements (and records it under `path.data`).
    let tracker: PositionTracker<UInt64>
    /// Reading is over: the file was read to its end, or stopped at a problem.
    var readDone = false
    /// Why the file is set aside instead of completed, once its events are acknowledged.
    var problem: String?
    /// Events sent from this file (for the log lines).
    var sent = 0

    var path: String { candidate.path }

    init(candidate: SpoolCandidate, tracker: PositionTracker<UInt64>) {
        self.candidate = candidate
        self.tracker = tracker
    }

    /// Every event sent was acknowledged as delivered (none failed).
    var settled: Bool {
        let s = tracker.status
        return readDone && s.outstanding == 0 && !s.failed
    }
}

/// What becomes of a file once every event read from it was delivered: completed (renamed
/// with the suffix, recorded by a marker, or deleted) or, if it changed or could not be
/// decoded, set aside under an `.ERROR` name. Either way the spool never reads it again.
struct SpoolCompletion {
    let options: SpoolOptions
    let logger: Logger

    /// Finishes a file whose events were all acknowledged. Returns false if it still sits at
    /// its path unfinished (a rename failed): it must not be read again.
    func finish(_ f: SpoolFile) -> Bool {
        var st = stat()
        guard stat(f.path, &st) == 0 else {
            logger.warning("spooldir: \(f.path) was deleted by someone else before it was completed; the \(f.sent) events read from it were delivered")
            return true
        }
        guard FileIdentity(st) == f.candidate.id else {
            logger.warning("spooldir: \(f.path) was replaced by another file while it was read; the \(f.sent) events read from the first were delivered, the new one will be read as a new file")
            return true
        }
        let now = FileStamp(st)
        if f.problem == nil && now != f.candidate.stamp {
            f.problem = "was modified after it was read (\(f.candidate.stamp) when read, now \(now)); the \(f.sent) events read before were delivered, what changed was not read"
        }
        if let problem = f.problem { return setAside(f.path, because: problem) != nil }
        return complete(f.candidate)
    }

    /// Completes a file by the configured policy; false if that failed (logged).
    func complete(_ c: SpoolCandidate) -> Bool {
        if options.deleteImmediately {
            guard unlink(c.path) == 0 else {
                logger.error("spooldir: cannot delete \(c.path): \(IOError("unlink", path: c.path))")
                return false
            }
            return true
        }
        if let trackerDir = options.trackerDir {
            let marker = trackerDir + "/" + c.relative + options.suffix
            do {
                try FileIO.makeDirectories(FileIO.directoryName(marker))
                try FileIO.writeAtomically(marker, Array(SpoolScanner.markerText(c.id, c.stamp).utf8), sync: false)
            } catch {
                logger.error("spooldir: cannot record \(c.path) as completed: \(error); it will be read again after a restart")
                return false
            }
            return true
        }
        let completed = c.path + options.suffix
        var st = stat()
        if lstat(completed, &st) == 0 {
            // Someone created the completed name meanwhile: never overwrite it.
            return setAside(c.path, because: "cannot be completed: \(completed) exists already (a reused file name)") != nil
        }
        guard rename(c.path, completed) == 0 else {
            logger.error("spooldir: cannot rename \(c.path) to \(completed): \(IOError("rename", path: c.path))")
            return false
        }
        return true
    }

    /// Renames `path` to a free `.ERROR` name and logs why. Returns the new name.
    @discardableResult
    func setAside(_ path: String, because reason: String) -> String? {
        var target = path + SpoolOptions.errorSuffix
        var n = 1
        var st = stat()
        while lstat(target, &st) == 0 {
            target = "\(path).\(n)\(SpoolOptions.errorSuffix)"
            n += 1
        }
        guard rename(path, target) == 0 else {
            logger.error("spooldir: \(path) \(reason); cannot set it aside as \(target): \(IOError("rename", path: path))")
            return nil
        }
        logger.error("spooldir: \(path) \(reason); set aside as \(target)")
        return target
    }
}
