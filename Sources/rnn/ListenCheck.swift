import Foundation

/// Binds the address once before the server does, to say in plain words why it cannot be had (a
/// host that is not an address here, a port in use or reserved) rather than the network stack's.
enum ListenCheck {
    static func check(host: String, port: Int) throws {
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw CommandError("--host \(host) is not an address or host name this machine can resolve "
                + "(\(String(cString: gai_strerror(status)))); give e.g. --host 127.0.0.1.")
        }
        defer { freeaddrinfo(list) }
        let fd = socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        guard fd >= 0 else { return }  // no socket to try with: the server's own bind will tell
        defer { close(fd) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) != 0 else { return }
        switch errno {
        case EADDRINUSE:
            throw CommandError("port \(port) on \(host) is in use by another program; give another --port (0 picks a free one).")
        case EADDRNOTAVAIL:
            throw CommandError("--host \(host) is not an address of this machine; give e.g. --host 127.0.0.1.")
        case EACCES:
            throw CommandError("port \(port) needs privileges this user does not have; give a --port of 1024 or more.")
        default:
            throw CommandError("cannot listen on \(host):\(port): \(String(cString: strerror(errno))).")
        }
    }
}
