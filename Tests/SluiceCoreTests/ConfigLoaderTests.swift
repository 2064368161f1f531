import Foundation
import Testing
@testable import SluiceCore

@Suite("Config loader: strings, files, directories, globs")
struct ConfigLoaderTests {
    /// A fresh temporary directory holding `files` (name -> contents).
    func directory(_ files: [String: String]) throws -> String {
        let dir = NSTemporaryDirectory() + "sluice-config-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, text) in files {
            let path = dir + "/" + name
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        return dir
    }

    func names(_ statements: [Statement]) -> [String] {
        statements.compactMap { if case .plugin(let p) = $0 { return p.name } else { return nil } }
    }

    @Test func stringSourceIsNamedConfigString() throws {
        let c = try ConfigLoader.load(string: "filter { x { } }")
        #expect(c.sources.map(\.name) == ["config string"])
        #expect(!c.hasInputs && !c.hasOutputs)
        do {
            _ = try ConfigLoader.load(string: "filter { x { a } }")
            Issue.record("expected an error")
        } catch {
            #expect(error.errors.first?.location?.description == "config string:1:16")
        }
    }

    @Test func inputAndOutputPresenceForDashE() throws {
        #expect(try ConfigLoader.load(string: "input { } filter { }").hasInputs)
        #expect(try ConfigLoader.load(string: "output { x {} }").hasOutputs)
        #expect(try !ConfigLoader.load(string: "output { x {} }").hasInputs)
    }

    @Test func singleFile() throws {
        let dir = try directory(["one.conf": "input { a { } }\noutput { b { } }\n"])
        let c = try ConfigLoader.load(path: dir + "/one.conf")
        #expect(names(c.inputs) == ["a"])
        #expect(c.sources.map(\.name) == [dir + "/one.conf"])
        if case .plugin(let p)? = c.outputs.first { #expect(p.location.description == dir + "/one.conf:2:10") }
    }

    @Test func directoryFilesInNameOrder() throws {
        let dir = try directory([
            "20-filter.conf": "filter { second { } }\noutput { out2 { } }",
            "10-input.conf": "input { in1 { } }\nfilter { first { } }",
            "30-out.conf": "filter { third { } }\noutput { out3 { } }\ninput { in3 { } }",
            ".hidden.conf": "this is not parsed {",
            "sub/ignored.conf": "nor is this {",
        ])
        let c = try ConfigLoader.load(path: dir)
        #expect(names(c.inputs) == ["in1", "in3"])
        #expect(names(c.filters) == ["first", "second", "third"])
        #expect(names(c.outputs) == ["out2", "out3"])
        #expect(c.sources.map { String($0.name.split(separator: "/").last ?? "") } == ["10-input.conf", "20-filter.conf", "30-out.conf"])
        #expect(try ConfigLoader.resolve(path: dir + "/").count == 3)
    }

    @Test func globMatchesSorted() throws {
        let dir = try directory(["b.conf": "filter { b { } }", "a.conf": "filter { a { } }",
                                 "c.txt": "filter { c { } }", "d1.conf": "filter { d1 { } }"])
        #expect(names(try ConfigLoader.load(path: dir + "/*.conf").filters) == ["a", "b", "d1"])
        #expect(names(try ConfigLoader.load(path: dir + "/?.conf").filters) == ["a", "b"])
        #expect(names(try ConfigLoader.load(path: dir + "/[bd]*").filters) == ["b", "d1"])
    }

    @Test func errorsInSeveralFilesAreAllReported() throws {
        let dir = try directory(["a.conf": "filter { x { a => } }", "b.conf": "input { y { b => \"${NOPE_X}\" } }"])
        do {
            _ = try ConfigLoader.load(path: dir, environment: [:])
            Issue.record("expected errors")
        } catch {
            #expect(error.errors.map { $0.location?.description ?? "" } == [dir + "/a.conf:1:19", dir + "/b.conf:1:18"])
        }
    }

    @Test func missingFileIsAnErrorNamingThePath() {
        do {
            _ = try ConfigLoader.load(path: "/nonexistent/sluice/pipeline.conf")
            Issue.record("expected an error")
        } catch {
            #expect(error.errors.count == 1)
            #expect(error.errors.first?.location == nil)
            #expect(error.description == "error: config path `/nonexistent/sluice/pipeline.conf` does not exist")
        }
    }

    @Test func emptyGlobIsAnErrorNamingThePattern() throws {
        let dir = try directory(["a.conf": "input { }"])
        do {
            _ = try ConfigLoader.load(path: dir + "/*.nomatch")
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "error: no config files match `\(dir)/*.nomatch`")
        }
    }

    @Test func emptyDirectoryIsAnError() throws {
        let dir = try directory([:])
        #expect(throws: ConfigError.self) { try ConfigLoader.resolve(path: dir) }
        do {
            _ = try ConfigLoader.load(path: dir)
        } catch {
            #expect(error.description == "error: no config files found in directory `\(dir)`")
        }
    }

    @Test func literalPathWithGlobCharactersIsUsedAsIs() throws {
        let dir = try directory(["odd[1].conf": "filter { odd { } }"])
        #expect(names(try ConfigLoader.load(path: dir + "/odd[1].conf").filters) == ["odd"])
    }
}
