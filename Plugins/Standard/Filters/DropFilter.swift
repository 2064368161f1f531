import SluiceCore

/// Logstash's `drop` filter: drops every event it sees, or a random `percentage` of them.
public final class DropFilter: FilterPlugin {
    public static let pluginName = "drop"
    public static let summary = "Drops events (all of them, or a random percentage)."
    public static let settingSpecs: [SettingSpec] = [
        SettingSpec("percentage", .number, default: 100,
                    doc: "Share of events to drop, 0 to 100; the others pass on untouched."),
    ]

    /// Events are dropped when a uniform 53-bit draw is below this (unused at 100%).
    private let threshold: Double
    private let dropAll: Bool
    private var random: SplitMix64

    public init(settings: PluginSettings, context: PluginContext) throws {
        let percentage = try settings.declaredDouble("percentage")
        guard percentage >= 0, percentage <= 100 else {
            throw settings.error("percentage", "must be between 0 and 100, got \(settings.string("percentage") ?? "?")")
        }
        dropAll = percentage == 100
        threshold = percentage / 100
        var seed = SystemRandomNumberGenerator()
        random = SplitMix64(seed: seed.next())
    }

    public func filter(_ event: inout Event, _ context: inout FilterContext) -> FilterResult {
        if dropAll || random.nextUnit() < threshold { return .drop }
        // Logstash never calls filter_matched here: a kept event gets no decorations.
        return .unmatched
    }
}

/// A small, fast PRNG (Steele, Lea, Flood: SplitMix64); per filter instance, so no locking.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    @inline(__always)
    mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1p-53 }
}
