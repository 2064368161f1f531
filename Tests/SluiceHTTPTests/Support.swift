import Foundation
import Logging
import SluiceCore
import SluiceTesting
import Synchronization
@testable import SluiceHTTP

func elapsed(since start: ContinuousClock.Instant) -> Duration { ContinuousClock.now - start }

extension Array where Element == UInt8 {
    var text: String { String(decoding: self, as: UTF8.self) }
}
