import Foundation
import Testing

/// Two machines on one: two network namespaces joined by a veth pair, with addresses on that link
/// only, one MPI rank in each. Open MPI's TCP transport carries the allreduce over the link, and
/// its remote launcher, pointed at a small script, starts the far rank with `ip netns exec`
/// instead of ssh — as `mpirun --hostfile` starts ranks on other hosts. The hostfile gives each
/// host one slot, so two ranks are one on each.
struct TwoHosts {
    let names: (String, String)
    let addresses: (String, String)
    let subnet: String
    let directory: URL

    /// Whether this machine lets the tests make network namespaces (root, `ip` from iproute2).
    static let available: Bool = {
        let probe = "rnnkit-probe-\(getpid())"
        guard (try? ip(["netns", "add", probe])) != nil else { return false }
        _ = try? ip(["netns", "delete", probe])
        return true
    }()

    struct CommandFailed: Error, CustomStringConvertible {
        var description: String
    }

    @discardableResult
    static func ip(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["ip"] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let error = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CommandFailed(description: "ip \(arguments.joined(separator: " ")): \(error)") }
        return text
    }

    /// Makes the two hosts, their link, the launcher script and the hostfile in `directory`.
    init(directory: URL) throws {
        let tag = "\(getpid() % 100_000)"
        let octet = Int(getpid() % 200) + 20
        names = ("rnnkit\(tag)a", "rnnkit\(tag)b")
        addresses = ("10.213.\(octet).1", "10.213.\(octet).2")
        subnet = "10.213.\(octet).0/24"
        self.directory = directory
        try Self.ip(["netns", "add", names.0])
        try Self.ip(["netns", "add", names.1])
        let (a, b) = ("rk\(tag)a", "rk\(tag)b")
        try Self.ip(["link", "add", a, "type", "veth", "peer", "name", b])
        try Self.ip(["link", "set", a, "netns", names.0])
        try Self.ip(["link", "set", b, "netns", names.1])
        for (namespace, link, address) in [(names.0, a, addresses.0), (names.1, b, addresses.1)] {
            try Self.ip(["-n", namespace, "addr", "add", "\(address)/24", "dev", link])
            try Self.ip(["-n", namespace, "link", "set", link, "up"])
            try Self.ip(["-n", namespace, "link", "set", "lo", "up"])
        }
        let script = """
            #!/bin/sh
            # Open MPI's remote launcher, called as "HOST COMMAND…": runs COMMAND in HOST's namespace.
            host=$1; shift
            case $host in
              \(addresses.0)) namespace=\(names.0) ;;
              \(addresses.1)) namespace=\(names.1) ;;
              *) echo "no such host: $host" >&2; exit 1 ;;
            esac
            exec ip netns exec "$namespace" /bin/sh -c "$*"

            """
        try script.write(to: launcher, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: launcher.path)
        try "\(addresses.0) slots=1\n\(addresses.1) slots=1\n".write(to: hostfile, atomically: true, encoding: .utf8)
    }

    var launcher: URL { directory.appendingPathComponent("netns-launcher") }
    var hostfile: URL { directory.appendingPathComponent("hosts") }

    /// mpirun's options for a job over the link: the hostfile, the launcher, TCP on the link only.
    var mpirunOptions: [String] {
        ["--hostfile", hostfile.path, "--mca", "plm_rsh_agent", launcher.path, "--mca", "btl", "tcp,self",
         "--mca", "btl_tcp_if_include", subnet, "--mca", "oob_tcp_if_include", subnet]
    }

    /// Removes both namespaces (and with them the link).
    func remove() {
        _ = try? Self.ip(["netns", "delete", names.0])
        _ = try? Self.ip(["netns", "delete", names.1])
    }
}

@Suite("Data-parallel training across two hosts")
struct TwoHostTests {
    @Test("one rank in each of two network namespaces, over TCP on a veth link: the same model as two ranks on one host",
          .enabled(if: TwoHosts.available, "needs root and `ip netns` to make two network namespaces; this machine cannot"))
    func twoNamespaces() throws {
        let directory = try DataParallelCLITests.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let hosts = try TwoHosts(directory: directory)
        defer { hosts.remove() }
        try LanguageModelCLITests.sampleText().write(to: directory.appendingPathComponent("text.txt"), atomically: true, encoding: .utf8)
        let arguments = ["train-lm", "--text", "text.txt", "--layers", "1", "--hidden-size", "32", "--embedding-size", "16",
                         "--dropout", "0", "--sequence-length", "20", "--batch-size", "12", "--epochs", "2", "--threads", "1",
                         "--quiet"]
        let apart = try DataParallelCLITests.run(arguments + ["--output", "apart.safetensors"], ranks: 2, in: directory,
                                                 mpirunOptions: hosts.mpirunOptions, prefix: ["ip", "netns", "exec", hosts.names.0])
        try #require(apart.status == 0, "\(apart.stderr)")
        let together = try DataParallelCLITests.run(arguments + ["--output", "together.safetensors"], ranks: 2, in: directory)
        try #require(together.status == 0, "\(together.stderr)")
        // The sums are the same whatever carries them.
        #expect(try Data(contentsOf: directory.appendingPathComponent("apart.safetensors"))
                == Data(contentsOf: directory.appendingPathComponent("together.safetensors")))
        let alone = try DataParallelCLITests.run(arguments + ["--output", "alone.safetensors"], ranks: nil, in: directory)
        try #require(alone.status == 0, "\(alone.stderr)")
        let difference = try DataParallelCLITests.maxDifference(directory.appendingPathComponent("alone.safetensors"),
                                                                directory.appendingPathComponent("apart.safetensors"))
        #expect(difference <= DataParallelCLITests.weightTolerance)
    }
}
