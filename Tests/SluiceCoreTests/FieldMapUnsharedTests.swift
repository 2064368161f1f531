import Testing
@testable import SluiceCore

@Suite struct FieldMapUnsharedTests {
    private func storage(_ s: String) -> UnsafeRawPointer? {
        var s = s
        return s.withUTF8 { UnsafeRawPointer($0.baseAddress) }
    }

    @Test func anUnsharedCopyIsEqualButHoldsNoStorageOfTheOriginal() {
        let long = "/var/log/some/fairly/long/path/access.log"
        var m = FieldMap()
        m.set("path", .string(long))
        m.set("small", "vm")
        m.set("nested", ["file": ["path": .string(long)], "list": [.string(long), 1]])
        m.set("n", 3)
        let copy = m.unshared()
        #expect(copy == m)
        #expect(copy.keys == m.keys, "field order is kept")
        guard case .string(let a)? = m["path"], case .string(let b)? = copy["path"] else {
            Issue.record("path is not a string")
            return
        }
        #expect(storage(a) != storage(b), "the string is copied into storage of its own")
        #expect(m.entries.withUnsafeBufferPointer { $0.baseAddress } != copy.entries.withUnsafeBufferPointer { $0.baseAddress })
        guard case .object(let n1)? = m["nested"], case .object(let n2)? = copy["nested"],
              case .array(let l1)? = n1["list"], case .array(let l2)? = n2["list"],
              case .string(let s1) = l1[0], case .string(let s2) = l2[0] else {
            Issue.record("nested values changed shape")
            return
        }
        #expect(storage(s1) != storage(s2), "strings inside arrays and objects are copied too")
        #expect(l1.withUnsafeBufferPointer { $0.baseAddress } != l2.withUnsafeBufferPointer { $0.baseAddress })
    }

    @Test func nonASCIITextSurvivesTheCopy() {
        let text = "é 😀 \u{01} quote \" and a tail long enough to need storage"
        #expect(text.unshared() == text)
        #expect(text.unshared().utf8.count == text.utf8.count)
        #expect("short".unshared() == "short")
    }
}
