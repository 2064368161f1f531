#!/usr/bin/env python3
"""The consumer groups librdkafka's mock cluster cannot list, listed by a proxy in front of it.

librdkafka's mock cluster (2.0.2, and 2.16 too) implements no ListGroups or DescribeGroups, so
a client asking which groups exist (the kafka_lag input's `group_pattern`) gets
_UNSUPPORTED_FEATURE. This proxy listens on one port per mock broker and passes every request
through to that broker, except:
  - ListGroups (16) and DescribeGroups (15), which it answers itself: each broker lists the
    groups whose JoinGroup or OffsetCommit went through the proxy to it, i.e. the groups it
    coordinates (as a broker lists a group that has members or committed offsets);
  - the responses that name brokers (Metadata 3, FindCoordinator 10), rewritten to name the
    proxy's ports, so clients stay behind it;
  - the ApiVersions (18) response, which gains ListGroups and DescribeGroups and caps the APIs
    the proxy parses at their last non-flexible version.
Responses go back in request order on each connection, as Kafka requires.

  kafka_group_listing.py --upstream STATE/kafka.json --info STATE/kafka_groups.json
writes {"kafka_groups": "127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3"} once it listens. Clients of a
test that want their groups listed connect through it; the mock's own ports keep working.
"""
import argparse
import asyncio
import collections
import json
import os
import struct
import time

LIST_GROUPS, DESCRIBE_GROUPS, API_VERSIONS, METADATA, FIND_COORDINATOR = 16, 15, 18, 3, 10
JOIN_GROUP, OFFSET_COMMIT, PRODUCE = 11, 8, 0
# Highest version of each API the proxy parses or answers (the last one before flexible
# encoding); ApiVersions advertises at most these.
CAPS = {METADATA: 8, FIND_COORDINATOR: 2, JOIN_GROUP: 5, OFFSET_COMMIT: 7, PRODUCE: 8,
        LIST_GROUPS: 2, DESCRIBE_GROUPS: 2}

# group id -> [index of its coordinator among the brokers, time of its last JoinGroup (None:
# only offsets were committed)]
groups = {}


class Reader:
    def __init__(self, data, at=0):
        self.data, self.at = data, at

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.data, self.at)
        self.at += struct.calcsize(fmt)
        return v[0]

    def string(self):  # INT16 length; -1 is null
        n = self.take(">h")
        if n < 0:
            return None
        s = self.data[self.at:self.at + n].decode()
        self.at += n
        return s

    def uvarint(self):
        shift = value = 0
        while True:
            b = self.data[self.at]
            self.at += 1
            value |= (b & 0x7F) << shift
            if b < 0x80:
                return value
            shift += 7

    def skip_tags(self):
        for _ in range(self.uvarint()):
            self.uvarint()
            self.at += self.uvarint()


def string(s):
    if s is None:
        return struct.pack(">h", -1)
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def uvarint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def api_versions(body, version):
    """The broker's ApiVersions response body with ListGroups/DescribeGroups added and CAPS applied."""
    r = Reader(body)
    error = r.take(">h")
    if error != 0:
        return body
    flexible = version >= 3
    n = r.uvarint() - 1 if flexible else r.take(">i")
    entries = {}
    for _ in range(n):
        key, lo, hi = r.take(">h"), r.take(">h"), r.take(">h")
        if flexible:
            r.skip_tags()
        entries[key] = [lo, hi]
    rest = body[r.at:]
    for key in (LIST_GROUPS, DESCRIBE_GROUPS):
        entries.setdefault(key, [0, CAPS[key]])
    for key, cap in CAPS.items():
        entries[key][1] = min(entries[key][1], cap)
    out = bytearray(struct.pack(">h", error))
    out += uvarint(len(entries) + 1) if flexible else struct.pack(">i", len(entries))
    for key in sorted(entries):
        out += struct.pack(">hhh", key, *entries[key])
        if flexible:
            out += b"\x00"
    return bytes(out) + rest


def metadata(body, version, route):
    r = Reader(body)
    head = r.take(">i") if version >= 3 else None
    out = bytearray(struct.pack(">i", head) if head is not None else b"")
    n = r.take(">i")
    out += struct.pack(">i", n)
    for _ in range(n):
        node, host, port = r.take(">i"), r.string(), r.take(">i")
        host, port = route(host, port)
        out += struct.pack(">i", node) + string(host) + struct.pack(">i", port)
        if version >= 1:
            out += string(r.string())  # rack
    return bytes(out) + body[r.at:]


def find_coordinator(body, version, route):
    r = Reader(body)
    out = bytearray()
    if version >= 1:
        out += struct.pack(">ih", r.take(">i"), r.take(">h")) + string(r.string())
    else:
        out += struct.pack(">h", r.take(">h"))
    node, host, port = r.take(">i"), r.string(), r.take(">i")
    host, port = route(host, port)
    return bytes(out) + struct.pack(">i", node) + string(host) + struct.pack(">i", port) + body[r.at:]


def list_groups(version, broker):
    mine = sorted(g for g, (coordinator, _) in groups.items() if coordinator == broker)
    out = bytearray(struct.pack(">i", 0) if version >= 1 else b"")
    out += struct.pack(">hi", 0, len(mine))
    for g in mine:
        out += string(g) + string("consumer")
    return bytes(out)


def describe_groups(body, version):
    r = Reader(body)
    wanted = [r.string() for _ in range(r.take(">i"))]
    out = bytearray(struct.pack(">i", 0) if version >= 1 else b"")
    out += struct.pack(">i", len(wanted))
    for g in wanted:
        joined = groups[g][1] if g in groups else None
        if g not in groups:
            out += struct.pack(">h", 69) + string(g) + string("Dead") + string("") + string("")  # GROUP_ID_NOT_FOUND
        else:
            # Members are not tracked: a group whose member joined in the last 30 s is Stable.
            state = "Stable" if joined is not None and time.time() - joined < 30 else "Empty"
            out += struct.pack(">h", 0) + string(g) + string(state) + string("consumer") + string("range")
        out += struct.pack(">i", 0)  # members
    return bytes(out)


def note_group(api, body, broker):
    """A JoinGroup or OffsetCommit sent to `broker`: the group's coordinator."""
    try:
        g = Reader(body).string()
    except (struct.error, UnicodeDecodeError):
        return
    if g:
        joined = time.time() if api == JOIN_GROUP else groups.get(g, [None, None])[1]
        groups[g] = [broker, joined]


async def read_frame(reader):
    size = struct.unpack(">i", await reader.readexactly(4))[0]
    return await reader.readexactly(size)


class Connection:
    def __init__(self, broker, client_writer, upstream_writer, route):
        self.broker = broker  # index of the mock broker this connection reaches
        self.client = client_writer
        self.upstream = upstream_writer
        self.route = route
        self.pending = collections.deque()  # [corr, api, version, local response or None]

    def send(self, corr, body):
        self.client.write(struct.pack(">ii", len(body) + 4, corr) + body)

    def flush(self):
        """Sends the proxy's own answers that no earlier request's response holds back."""
        while self.pending and self.pending[0][3] is not None:
            corr, _, _, body = self.pending.popleft()
            self.send(corr, body)

    async def from_client(self, reader):
        while True:
            frame = await read_frame(reader)
            api, version, corr = struct.unpack_from(">hhi", frame)
            r = Reader(frame, 8)
            r.string()  # client id; the APIs handled here use request header v1 (no tags)
            body = frame[r.at:]
            if api == LIST_GROUPS:
                self.pending.append([corr, api, version, list_groups(version, self.broker)])
                self.flush()
                continue
            if api == DESCRIBE_GROUPS:
                self.pending.append([corr, api, version, describe_groups(body, version)])
                self.flush()
                continue
            if api in (JOIN_GROUP, OFFSET_COMMIT):
                note_group(api, body, self.broker)
            acks = None
            if api == PRODUCE:
                pr = Reader(body)
                if version >= 3:
                    pr.string()  # transactional id
                acks = pr.take(">h")
            if acks != 0:  # acks=0 produce requests get no response
                self.pending.append([corr, api, version, None])
            self.upstream.write(struct.pack(">i", len(frame)) + frame)
            await self.upstream.drain()

    async def from_upstream(self, reader):
        while True:
            frame = await read_frame(reader)
            corr = struct.unpack_from(">i", frame)[0]
            while self.pending and self.pending[0][0] != corr:
                if self.pending[0][3] is None:
                    raise ConnectionError(f"response {corr} out of order")
                self.flush()
            if not self.pending:
                raise ConnectionError(f"unexpected response {corr}")
            _, api, version, _ = self.pending.popleft()
            body = frame[4:]
            if api == API_VERSIONS:
                body = api_versions(body, version)
            elif api == METADATA:
                body = metadata(body, version, self.route)
            elif api == FIND_COORDINATOR:
                body = find_coordinator(body, version, self.route)
            self.send(corr, body)
            self.flush()
            await self.client.drain()


def upstream_addresses(path):
    with open(path) as f:
        return [(h, int(p)) for h, p in (a.rsplit(":", 1) for a in json.load(f)["kafka"].split(","))]


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--upstream", required=True, help="the mock's addresses file (kafka.json)")
    ap.add_argument("--info", required=True)
    a = ap.parse_args()
    for _ in range(300):
        if os.path.exists(a.upstream):
            break
        await asyncio.sleep(0.1)
    count = len(upstream_addresses(a.upstream))
    ports = []

    def route(host, port):
        """The proxy port standing for the mock broker at host:port (read afresh: a restarted mock has new ports)."""
        ups = upstream_addresses(a.upstream)
        if (host, port) in ups:
            return "127.0.0.1", ports[ups.index((host, port))]
        return host, port

    def handler(index):
        async def handle(reader, writer):
            host, port = upstream_addresses(a.upstream)[index]
            try:
                up_reader, up_writer = await asyncio.open_connection(host, port)
            except OSError:
                writer.close()
                return
            conn = Connection(index, writer, up_writer, route)
            tasks = [asyncio.ensure_future(conn.from_client(reader)), asyncio.ensure_future(conn.from_upstream(up_reader))]
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for t in tasks:
                t.cancel()
            for w in (writer, up_writer):
                w.close()
        return handle

    servers = []
    for i in range(count):
        s = await asyncio.start_server(handler(i), "127.0.0.1", 0)
        servers.append(s)
        ports.append(s.sockets[0].getsockname()[1])
    tmp = a.info + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"kafka_groups": ",".join(f"127.0.0.1:{p}" for p in ports)}, f)
    os.replace(tmp, a.info)
    await asyncio.gather(*(s.serve_forever() for s in servers))


if __name__ == "__main__":
    asyncio.run(main())
