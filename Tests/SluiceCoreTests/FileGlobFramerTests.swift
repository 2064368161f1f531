import Foundation
import SluiceCore
import Testing

private func scratchDir(_ label: String) throws -> String {
    let d = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-\(label)-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

@Suite struct FileGlobTests {
    @Test func patternsAndAlternativesMatchSortedBytewise() throws {
        let d = try scratchDir("glob")
        defer { try? FileManager.default.removeItem(atPath: d) }
        for name in ["b.log", "a.log", "B.log", "c.txt", ".hidden.log", "x{1,2}"] {
            _ = FileManager.default.createFile(atPath: d + "/" + name, contents: Data())
        }
        #expect(FileGlob.expand(d + "/*.log") == [d + "/B.log", d + "/a.log", d + "/b.log"])
        #expect(FileGlob.expand(d + "/{a,c}.*") == [d + "/a.log", d + "/c.txt"])
        #expect(FileGlob.expand(d + "/?.txt") == [d + "/c.txt"])
        #expect(FileGlob.expand(d + "/nothing*").isEmpty)
        // A literal name with metacharacters matches only itself once escaped.
        #expect(FileGlob.expand(FileGlob.escape(d + "/x{1,2}")) == [d + "/x{1,2}"])
        #expect(FileGlob.isPattern("/a/{b,c}") && FileGlob.isPattern("/a/*") && !FileGlob.isPattern("/a/b.log"))
    }
}

/// Frames `chunks` as a reader would: completes lines chunk by chunk, walks each region.
private func frame(_ chunks: [String], delimiter: String, final: Bool = false) -> [String] {
    var framer = LineFramer(delimiter: Array(delimiter.utf8))
    var lines: [String] = []
    func walk(_ region: [UInt8], includingFinal: Bool) {
        region.withUnsafeBufferPointer { buf in
            framer.forEachLine(in: buf, includingFinal: includingFinal) { line, next in
                lines.append(String(decoding: region[line], as: UTF8.self))
                #expect(next >= line.upperBound && next <= region.count)
            }
        }
    }
    for c in chunks {
        let region = Array(c.utf8).withUnsafeBytes { framer.completeLines(appending: $0) }
        walk(region, includingFinal: false)
    }
    if final { walk(framer.takePending(), includingFinal: true) }
    return lines
}

@Suite struct LineFramerTests {
    @Test func linesSplitAcrossReadsComeOutWhole() {
        #expect(frame(["ab", "c\nde", "f\n\ng"], delimiter: "\n") == ["abc", "def", ""])
        #expect(frame(["ab", "c\nde", "f\n\ng"], delimiter: "\n", final: true) == ["abc", "def", "", "g"])
    }

    @Test func aMultiByteDelimiterSplitBetweenReadsIsFound() {
        #expect(frame(["one\r", "\ntwo\r\nthr", "ee\r", "\n"], delimiter: "\r\n") == ["one", "two", "three"])
        #expect(frame(["a|", "|b||c"], delimiter: "||", final: true) == ["a", "b", "c"])
    }

    @Test func anEmptyDelimiterMeansNewline() {
        #expect(LineFramer(delimiter: []).delimiter == [10])
    }

    @Test func theNextOffsetIsJustPastEachDelimiter() {
        let bytes = Array("a\r\nbb\r\nccc".utf8)
        let framer = LineFramer(delimiter: Array("\r\n".utf8))
        var got: [(Range<Int>, Int)] = []
        bytes.withUnsafeBufferPointer { buf in framer.forEachLine(in: buf, includingFinal: true) { got.append(($0, $1)) } }
        #expect(got.map(\.0) == [0..<1, 3..<5, 7..<10])
        #expect(got.map(\.1) == [3, 7, 10])
        #expect(framer.endOfLastLine(bytes) == 7)
    }

    @Test func thePendingTailCanBeTakenInPiecesForAnOverlongLine() {
        var framer = LineFramer()
        let region = Array("done\nabcdefgh".utf8).withUnsafeBytes { framer.completeLines(appending: $0) }
        #expect(region == Array("done\n".utf8))
        #expect(framer.takePending(prefix: 3) == Array("abc".utf8))
        #expect(framer.pending == Array("defgh".utf8))
        #expect(framer.takePending(prefix: 99) == Array("defgh".utf8))
        #expect(framer.pending.isEmpty)
        // A long line read in many pieces is still cut at its newline.
        for _ in 0..<100 { _ = Array(repeating: UInt8(ascii: "x"), count: 1000).withUnsafeBytes { framer.completeLines(appending: $0) } }
        let end = Array("x\nrest".utf8).withUnsafeBytes { framer.completeLines(appending: $0) }
        #expect(end.count == 100_002 && end.last == 10)
        #expect(framer.pending == Array("rest".utf8))
    }

    @Test func resetDropsThePendingTail() {
        var framer = LineFramer()
        _ = Array("partial".utf8).withUnsafeBytes { framer.completeLines(appending: $0) }
        #expect(framer.pending == Array("partial".utf8))
        framer.reset()
        let region = Array("x\n".utf8).withUnsafeBytes { framer.completeLines(appending: $0) }
        #expect(region == Array("x\n".utf8))
    }
}
