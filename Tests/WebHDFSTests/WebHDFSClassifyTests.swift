import SluiceHTTP
import Testing
@testable import WebHDFSPlugins

/// Error responses as the WebHDFS docs ("Error Responses") and HDFS show them, classified.
@Suite struct WebHDFSClassifyTests {
    func kind(_ status: Int, _ body: String) -> WebHDFSError.Kind {
        WebHDFSClient.classify(HTTPResponse(status: status, headers: [:], body: Array(body.utf8), effectiveURL: "x"), "op").kind
    }

    func remote(_ exception: String, _ java: String, _ message: String) -> String {
        #"{"RemoteException":{"exception":"\#(exception)","javaClassName":"\#(java).\#(exception)","message":"\#(message)"}}"#
    }

    @Test func causesThatShare403AreToldApart() {
        #expect(kind(403, remote("AlreadyBeingCreatedException", "org.apache.hadoop.hdfs.protocol",
                                 "failed to create file /a for DFSClient_1 because current leaseholder is trying to recreate file")) == .lease)
        #expect(kind(403, remote("RemoteException", "org.apache.hadoop.ipc",
                                 "Failed to APPEND_FILE /a for DFSClient_2 because this file lease is currently owned by DFSClient_1")) == .lease)
        #expect(kind(403, remote("AccessControlException", "org.apache.hadoop.security",
                                 "Permission denied: user=bob, access=WRITE, inode=\\\"/a\\\":hdfs:supergroup:drwxr-xr-x")) == .permission)
        #expect(kind(403, remote("FileAlreadyExistsException", "org.apache.hadoop.fs", "/a for client 1.2.3.4 already exists")) == .exists)
        #expect(kind(403, remote("StandbyException", "org.apache.hadoop.ipc",
                                 "Operation category READ is not supported in state standby")) == .transient)
    }

    @Test func missingFilesServerErrorsAndOthers() {
        #expect(kind(404, remote("FileNotFoundException", "java.io", "File does not exist: /a")) == .notFound)
        #expect(kind(503, "<html>Service Unavailable</html>") == .transient)
        #expect(kind(403, remote("RetriableException", "org.apache.hadoop.ipc", "NameNode still not started")) == .transient)
        #expect(kind(401, "Authentication required") == .permission)
        #expect(kind(400, remote("IllegalArgumentException", "java.lang", "Invalid value for webhdfs parameter \\\"op\\\"")) == .permanent)
    }

    @Test func urlsEncodePathsAndParameters() {
        #expect(WebHDFSClient.url("http://nn:9870", "/a b/dt=1/x", op: "CREATE", user: "me", ["overwrite": "false"])
                == "http://nn:9870/webhdfs/v1/a%20b/dt%3D1/x?op=CREATE&user.name=me&overwrite=false")
    }
}
