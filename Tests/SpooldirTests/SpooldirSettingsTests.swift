import SluiceCore
import SluiceTesting
import SpooldirPlugins
import Testing

/// The spooldir's settings: defaults as documented, and bad values refused by `check` with
/// the setting named.
@Suite("spooldir: settings")
struct SpooldirSettingsTests {
    private func check(_ body: String) throws -> String? {
        let s = try Spool()
        defer { s.remove() }
        return spoolHarness(s).check("input { spooldir { \(body) } }").map { "\($0)" }
    }

    @Test func defaultsFollowFlume() throws {
        let specs = Dictionary(uniqueKeysWithValues: SpooldirInput.settingSpecs.map { ($0.name, $0) })
        #expect(specs["file_suffix"]?.defaultValue == .string(".COMPLETED"))
        #expect(specs["delete_policy"]?.defaultValue == .string("never"))
        #expect(specs["tracking_policy"]?.defaultValue == .string("rename"))
        #expect(specs["tracker_dir"]?.defaultValue == .string(".sluicespool"))
        #expect(specs["file_header_key"]?.defaultValue == .string("file"))
        #expect(specs["consume_order"]?.defaultValue == .string("oldest"))
        #expect(specs["decode_error_policy"]?.defaultValue == .string("fail"))
        #expect(specs["codec"]?.defaultValue == .string("line"))
        #expect(specs["path"]?.required == true)
        #expect(try check(#"path => "/var/spool/x""#) == nil)
    }

    @Test func badValuesAreRefusedNamingTheSetting() throws {
        #expect(try check("").map { $0.contains("path") } == true)
        #expect(try check(#"path => "relative/dir""#).map { $0.contains("must be absolute") } == true)
        #expect(try check(#"path => "/x" consume_order => "newest""#).map { $0.contains("consume_order") } == true)
        #expect(try check(#"path => "/x" decode_error_policy => "skip""#).map { $0.contains("decode_error_policy") } == true)
        #expect(try check(#"path => "/x" include_pattern => "(unclosed""#).map { $0.contains("include_pattern") } == true)
        #expect(try check(#"path => "/x" file_suffix => """#).map { $0.contains("file_suffix") } == true)
        #expect(try check(#"path => "/x" max_line_length => 2"#).map { $0.contains("max_line_length") } == true)
        #expect(try check(#"path => "/x" pathh => "/y""#).map { $0.contains("pathh") } == true)
    }
}
