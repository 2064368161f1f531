import SluiceCore
import Testing
@testable import GoogleCloudPlugins

/// Object names as Logstash's google_cloud_storage output makes them, and the part numbers a
/// restart goes on from.
struct GCSNamingTests {
    @Test func strftimeDirectivesInUTC() {
        let t = Timestamp(year: 2023, month: 3, day: 3, hour: 1, minute: 42, second: 5)
        #expect(GoogleDatePattern.format("%Y-%m-%dT%H:00", t) == "2023-03-03T01:00")
        #expect(GoogleDatePattern.format("%y%m%d %H%M%S %j %% %Q", t) == "230303 014205 062 % %Q")
    }

    @Test func namesAndParts() {
        let n = GCSObjectNaming(prefix: "twitter", hostname: "host1", datePattern: "%Y%m%d", uuid: false, gzipSuffix: true)
        let base = n.base(Timestamp(year: 2023, month: 3, day: 3))
        #expect(base == "twitter_host1_20230303")
        #expect(n.name(base: base, part: 7) == "twitter_host1_20230303.part007.log.gz")
        #expect(GCSObjectNaming.part(of: "twitter_host1_20230303.part1234.log.gz", base: base) == 1234)
        #expect(GCSObjectNaming.part(of: "twitter_host1_20230304.part001.log.gz", base: base) == nil)
        let u = GCSObjectNaming(prefix: "p", hostname: nil, datePattern: "%Y", uuid: true, gzipSuffix: false)
        let name = u.name(base: "p_2023", part: 0)
        #expect(name.hasPrefix("p_2023.part000.") && name.hasSuffix(".log") && name.count == "p_2023.part000.".count + 36 + 4)
        #expect(GCSObjectNaming.part(of: name, base: "p_2023") == 0)
    }

    @Test func aRenamedObjectKeepsItsSuffix() {
        let r = GCSUploader.renamed("t_h_2023.part000.log.gz")
        #expect(r.hasPrefix("t_h_2023.part000.") && r.hasSuffix(".log.gz") && r != "t_h_2023.part000.log.gz")
    }
}
