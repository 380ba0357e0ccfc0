import Foundation

/// Each connection `rnn serve` holds is an open file. The usual soft limit (1,024) would refuse
/// clients long before the machine runs short, while the hard limit is what the administrator
/// actually allows; so the server asks for the hard limit before it listens.
enum OpenFileLimit {
    /// Raises this process's soft limit on open files to its hard limit; returns the limit in force.
    @discardableResult
    static func raiseToHardLimit() -> UInt64 {
        var limit = rlimit()
        guard getrlimit(resourceNoFile, &limit) == 0 else { return 0 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(resourceNoFile, &raised) == 0 { limit = raised }
        }
        return UInt64(limit.rlim_cur)
    }

    #if canImport(Glibc)
    private static let resourceNoFile = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let resourceNoFile = RLIMIT_NOFILE
    #endif
}
