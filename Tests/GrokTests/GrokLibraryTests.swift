import SluiceCore
import Testing

@testable import GrokPlugins

@Suite("grok pattern library")
struct GrokLibraryTests {
    @Test func bothSetsDefineTheCoreNames() {
        let core = ["USERNAME", "USER", "INT", "NUMBER", "BASE16NUM", "WORD", "NOTSPACE", "DATA", "GREEDYDATA",
                    "QUOTEDSTRING", "QS", "UUID", "MAC", "IP", "IPV4", "IPV6", "HOSTNAME", "IPORHOST", "HOSTPORT",
                    "PATH", "UNIXPATH", "WINPATH", "URI", "URIPROTO", "URIHOST", "URIPATH", "URIPARAM",
                    "URIPATHPARAM", "MONTH", "DAY", "YEAR", "TIME", "DATE", "DATESTAMP", "DATESTAMP_RFC822",
                    "DATESTAMP_RFC2822", "DATESTAMP_OTHER", "DATESTAMP_EVENTLOG", "TIMESTAMP_ISO8601", "HTTPDATE",
                    "SYSLOGTIMESTAMP", "LOGLEVEL", "SYSLOGBASE", "COMMONAPACHELOG", "COMBINEDAPACHELOG",
                    "HTTPD_ERRORLOG", "SYSLOGLINE", "SYSLOGBASE2", "SYSLOG5424LINE", "JAVASTACKTRACEPART",
                    "JAVACLASS", "HAPROXYHTTP", "HAPROXYTCP", "NGINXACCESS", "ELB_ACCESS_LOG", "S3_ACCESS_LOG",
                    "CLOUDFRONT_ACCESS_LOG", "REDISLOG", "MONGO3_LOG", "POSTGRESQL", "RAILS3", "BIND9",
                    "BRO_CONN", "SQUID3", "EXIM", "MCOLLECTIVE", "RT_FLOW1", "CISCOFW106023", "RUBY_LOGGER"]
        for mode in GrokECSMode.allCases {
            let lib = GrokLibrary.builtIn(mode)
            for name in core where lib[name] == nil { Issue.record("\(mode): \(name) missing") }
        }
    }

    @Test func everyShippedPatternCompilesAlone() {
        for mode in [GrokECSMode.disabled, .v1] {
            let lib = GrokLibrary.builtIn(mode)
            for name in lib.names {
                do { _ = try GrokPattern("%{\(name)}", library: lib) } catch {
                    Issue.record("\(mode) \(name): \(error)")
                }
            }
        }
    }

    @Test func readsLogstashFileFormat() {
        var lib = GrokLibrary()
        lib.addFile(text: "# comment\n   # indented comment\n\nA  [a-z]+ \nB\t%{A}:x\r\nLONELY\n  C  c\n", origin: "f")
        #expect(lib["A"]?.regex == "[a-z]+ ")  // trailing spaces are part of the regex
        #expect(lib["A"]?.origin == "f:4")
        #expect(lib["B"]?.regex == "%{A}:x")
        #expect(lib["C"]?.regex == "c")
        #expect(lib["LONELY"] == nil)
        lib.addFile(text: "A override\n", origin: "g")
        #expect(lib["A"]?.regex == "override")  // later files win
    }
}
