#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// An MPI library loaded at run time (`dlopen`), as the BLAS is: the package builds and runs with
/// no MPI installed, and one binary runs on Open MPI or on MPICH and its ABI family (Intel MPI,
/// MVAPICH, Cray MPICH).
///
/// The two ABIs differ in their handles. Open MPI's `MPI_COMM_WORLD`, `MPI_DOUBLE` and `MPI_SUM`
/// are the addresses of global objects (`ompi_mpi_comm_world`, `ompi_mpi_double`,
/// `ompi_mpi_op_sum`); MPICH's are 32-bit integer constants from its `mpi.h`. Both are passed as
/// one machine word here: on x86-64 and arm64 an `int` argument travels in the low half of the
/// register a pointer would use, so one set of function types serves both.
package final class MPILibrary: @unchecked Sendable {
    /// Which ABI the library follows.
    package enum Flavor: String, Sendable { case openMPI = "Open MPI", mpich = "MPICH" }

    /// The file names tried, in order, when `RNNKIT_MPI_LIBRARY` does not name one.
    package static let defaultCandidates = ["libmpi.so.40", "libmpi.so.12", "libmpi.so"]

    package let path: String
    package let flavor: Flavor

    // Handles, as machine words (see the type's comment).
    let commWorld: Int
    let double: Int
    let sum: Int

    typealias InitFunction = @convention(c) (UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> Int32
    typealias FinalizeFunction = @convention(c) () -> Int32
    typealias CommQueryFunction = @convention(c) (Int, UnsafeMutablePointer<Int32>) -> Int32
    typealias AllreduceFunction = @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, Int, Int, Int) -> Int32
    typealias BcastFunction = @convention(c) (UnsafeMutableRawPointer?, Int32, Int, Int32, Int) -> Int32
    typealias AbortFunction = @convention(c) (Int, Int32) -> Int32
    typealias VersionFunction = @convention(c) (UnsafeMutablePointer<CChar>, UnsafeMutablePointer<Int32>) -> Int32

    let initialize: InitFunction
    let finalize: FinalizeFunction
    let commRank: CommQueryFunction
    let commSize: CommQueryFunction
    let allreduce: AllreduceFunction
    let bcast: BcastFunction
    let abort: AbortFunction
    private let libraryVersion: VersionFunction

    /// The first library of `candidates` that loads and has every function RNNKit calls.
    /// - Throws: `DistributedError.noLibrary` listing what was tried and why each failed.
    package static func load(candidates: [String] = candidates()) throws(DistributedError) -> MPILibrary {
        var failures: [String] = []
        for path in candidates {
            // RTLD_GLOBAL: Open MPI loads its own components (mca_*.so) with dlopen, and they
            // resolve libmpi's symbols from the global namespace.
            guard let handle = dlopen(path, RTLD_NOW | RTLD_GLOBAL) else {
                failures.append("\(path): \(dlerror().map { String(cString: $0) } ?? "not found")")
                continue
            }
            do {
                return try MPILibrary(handle: handle, path: path)
            } catch {
                failures.append("\(path): \(error)")
            }
        }
        throw DistributedError.noLibrary(tried: failures)
    }

    /// `RNNKIT_MPI_LIBRARY` when set (a path or a file name), else `defaultCandidates`.
    package static func candidates() -> [String] {
        if let raw = getenv("RNNKIT_MPI_LIBRARY"), !String(cString: raw).isEmpty { return [String(cString: raw)] }
        return defaultCandidates
    }

    private struct MissingSymbol: Error, CustomStringConvertible {
        let name: String
        var description: String { "has no symbol \(name)" }
    }

    private init(handle: UnsafeMutableRawPointer, path: String) throws {
        func symbol<T>(_ name: String, as type: T.Type) throws -> T {
            guard let s = dlsym(handle, name) else { throw MissingSymbol(name: name) }
            return unsafeBitCast(s, to: type)
        }
        initialize = try symbol("MPI_Init", as: InitFunction.self)
        finalize = try symbol("MPI_Finalize", as: FinalizeFunction.self)
        commRank = try symbol("MPI_Comm_rank", as: CommQueryFunction.self)
        commSize = try symbol("MPI_Comm_size", as: CommQueryFunction.self)
        allreduce = try symbol("MPI_Allreduce", as: AllreduceFunction.self)
        bcast = try symbol("MPI_Bcast", as: BcastFunction.self)
        abort = try symbol("MPI_Abort", as: AbortFunction.self)
        libraryVersion = try symbol("MPI_Get_library_version", as: VersionFunction.self)
        self.path = path
        if let world = dlsym(handle, "ompi_mpi_comm_world") {
            flavor = .openMPI
            commWorld = Int(bitPattern: world)
            double = Int(bitPattern: try symbol("ompi_mpi_double", as: UnsafeMutableRawPointer.self))
            sum = Int(bitPattern: try symbol("ompi_mpi_op_sum", as: UnsafeMutableRawPointer.self))
        } else {
            // MPICH's mpi.h: MPI_COMM_WORLD ((MPI_Comm)0x44000000), MPI_DOUBLE
            // ((MPI_Datatype)0x4c00080b), MPI_SUM ((MPI_Op)0x58000003).
            flavor = .mpich
            commWorld = 0x4400_0000
            double = 0x4C00_080B
            sum = 0x5800_0003
        }
    }

    /// The library's own description (`MPI_Get_library_version`; callable before `MPI_Init`),
    /// first line only.
    package var version: String {
        // MPICH's MPI_MAX_LIBRARY_VERSION_STRING is 8192, Open MPI's 256.
        var buffer = [CChar](repeating: 0, count: 8192)
        var length: Int32 = 0
        guard libraryVersion(&buffer, &length) == 0 else { return flavor.rawValue }
        // Open MPI: "Open MPI v4.1.4, package: …, ident: …"; MPICH: "MPICH Version:  4.0.2" and more lines.
        let text = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        let first = text.split(separator: "\n").first.map(String.init) ?? ""
        let head = first.split(separator: ",").first.map(String.init) ?? ""
        let words = head.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return words.isEmpty ? flavor.rawValue : words
    }
}
