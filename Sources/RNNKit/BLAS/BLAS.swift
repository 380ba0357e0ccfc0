#if canImport(Accelerate)
import Accelerate
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CRNNKernels
import Foundation

/// Matrix products: the platform BLAS when there is one, built-in kernels otherwise.
///
/// On Linux the BLAS is loaded at run time (`dlopen`), so `swift build` needs nothing installed and
/// a machine without OpenBLAS still runs, on the built-in kernels. Before loading OpenBLAS we set
/// `OPENBLAS_CORETYPE` from the CPU's features (unless the user set it): OpenBLAS releases older
/// than the CPU, such as Debian 12's 0.3.21, fall back to generic "Prescott" kernels on new CPUs and
/// run 5–8× slower. On macOS, Accelerate. `RNNKIT_BLAS=none` forces the built-in kernels;
/// `RNNKIT_BLAS=/path/libblas.so` picks a library. OpenBLAS runs on one thread per call: RNNKit
/// splits large products across cores itself (see `Parallel`).
package final class BLAS: @unchecked Sendable {
    package enum Transpose: Sendable { case none, transpose }

    /// What performs the products.
    package enum Backend: Sendable, Equatable {
        case library(path: String)
        case accelerate
        case builtIn
    }

    package let backend: Backend
    /// Human-readable description, e.g. "OpenBLAS 0.3.21 … (core SkylakeX)".
    package let description: String

    private typealias CblasSgemm = @convention(c) (Int32, Int32, Int32, Int32, Int32, Int32, Float,
        UnsafePointer<Float>?, Int32, UnsafePointer<Float>?, Int32, Float, UnsafeMutablePointer<Float>?, Int32) -> Void
    private let sgemmFunction: CblasSgemm?

    /// The process-wide BLAS, chosen on first use from the environment.
    package static let shared = BLAS(environment: RNNKitEnvironment.blasChoice)

    /// A BLAS that always uses the built-in kernels (tests compare it with `shared`).
    package static let builtIn = BLAS(builtIn: ())

    private init(builtIn: ()) {
        backend = .builtIn
        description = "built-in Swift/C kernels (\(Kernels.instructionSet))"
        sgemmFunction = nil
    }

    private init(environment choice: String?) {
        if choice == "none" {
            backend = .builtIn
            description = "built-in Swift/C kernels (\(Kernels.instructionSet)); RNNKIT_BLAS=none"
            sgemmFunction = nil
            return
        }
        #if canImport(Accelerate)
        if choice == nil || choice == "accelerate" {
            backend = .accelerate
            description = "Accelerate"
            sgemmFunction = nil
            return
        }
        #endif
        let candidates = choice.map { [$0] } ?? ["libopenblas.so.0", "libopenblas.so", "libblas.so.3"]
        for path in candidates {
            if path.contains("openblas") { BLAS.chooseOpenBLASCoreType() }
            guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL),
                  let symbol = dlsym(handle, "cblas_sgemm") else { continue }
            sgemmFunction = unsafeBitCast(symbol, to: CblasSgemm.self)
            BLAS.useOneThread(handle: handle)
            backend = .library(path: path)
            description = BLAS.describe(handle: handle, path: path)
            return
        }
        backend = .builtIn
        description = "built-in Swift/C kernels (\(Kernels.instructionSet)); no BLAS library found "
            + "(install one: apt-get install libopenblas0)"
        sgemmFunction = nil
    }

    /// The OpenBLAS core type for this CPU, or nil to let OpenBLAS decide.
    package static func openBLASCoreType() -> String? {
        switch Int(rk_cpu_kernel_level()) {
        case 2: return "SkylakeX"
        case 1: return "Haswell"
        default: return rk_cpu_has_avx() != 0 ? "Sandybridge" : nil
        }
    }

    private static func chooseOpenBLASCoreType() {
        guard getenv("OPENBLAS_CORETYPE") == nil, let core = openBLASCoreType() else { return }
        setenv("OPENBLAS_CORETYPE", core, 0)
    }

    /// One thread per call. A recurrent network makes many small products in a row (one per
    /// step), and OpenBLAS splits anything above ~260k multiply-adds across its threads, whose
    /// start-up and spinning then cost more than they save (measured on 2 cores: LSTM language
    /// model 38k chars/s with OpenBLAS's default threading, 29k with two threads for everything).
    /// Its workers also spin for a while after each threaded call, taking the core that RNNKit's
    /// own second thread needs. So RNNKit splits the large products itself (`MatMul`), each part a
    /// single-threaded call, and runs the per-step products in its own kernels.
    private static func useOneThread(handle: UnsafeMutableRawPointer) {
        typealias SetThreads = @convention(c) (Int32) -> Void
        guard let symbol = dlsym(handle, "openblas_set_num_threads") else { return }
        unsafeBitCast(symbol, to: SetThreads.self)(1)
    }

    private static func describe(handle: UnsafeMutableRawPointer, path: String) -> String {
        typealias StringFunction = @convention(c) () -> UnsafePointer<CChar>?
        var text = path
        if let s = dlsym(handle, "openblas_get_config"),
           let config = unsafeBitCast(s, to: StringFunction.self)() {
            text = String(cString: config)
        }
        if let s = dlsym(handle, "openblas_get_corename"),
           let core = unsafeBitCast(s, to: StringFunction.self)() {
            text += " (core \(String(cString: core)))"
        }
        return text
    }

    /// C = α·op(A)·op(B) + β·C, row-major. op(A) is (M, K), op(B) is (K, N), C is (M, N).
    package func sgemm(_ transA: Transpose, _ transB: Transpose, _ M: Int, _ N: Int, _ K: Int,
                      alpha: Float, _ A: UnsafePointer<Float>, lda: Int, _ B: UnsafePointer<Float>, ldb: Int,
                      beta: Float, _ C: UnsafeMutablePointer<Float>, ldc: Int) {
        guard M > 0, N > 0 else { return }
        switch backend {
        case .library:
            sgemmFunction!(101, transA == .none ? 111 : 112, transB == .none ? 111 : 112,
                           Int32(M), Int32(N), Int32(K), alpha, A, Int32(lda), B, Int32(ldb), beta, C, Int32(ldc))
        case .accelerate:
            #if canImport(Accelerate)
            cblas_sgemm(CblasRowMajor, transA == .none ? CblasNoTrans : CblasTrans,
                        transB == .none ? CblasNoTrans : CblasTrans,
                        Int32(M), Int32(N), Int32(K), alpha, A, Int32(lda), B, Int32(ldb), beta, C, Int32(ldc))
            #endif
        case .builtIn:
            BLAS.builtInSgemm(transA, transB, M, N, K, alpha: alpha, A, lda: lda, B, ldb: ldb, beta: beta, C, ldc: ldc)
        }
    }

    /// The built-in product: rows of C built from vectorized axpy (B as stored) or dot
    /// products (B transposed); good for the small products of one sequence, no match for a BLAS
    /// on large ones.
    static func builtInSgemm(_ transA: Transpose, _ transB: Transpose, _ M: Int, _ N: Int, _ K: Int,
                             alpha: Float, _ A: UnsafePointer<Float>, lda: Int, _ B: UnsafePointer<Float>, ldb: Int,
                             beta: Float, _ C: UnsafeMutablePointer<Float>, ldc: Int) {
        let row = UnsafeMutablePointer<Float>.allocate(capacity: N)
        defer { row.deallocate() }
        for i in 0..<M {
            let c = C + i * ldc
            row.update(repeating: 0, count: N)
            switch transB {
            case .none:
                for p in 0..<K {
                    let a = transA == .none ? A[i * lda + p] : A[p * lda + i]
                    if a != 0 { Kernels.axpy(N, a, B + p * ldb, row) }
                }
            case .transpose:
                if transA == .none {
                    Kernels.gemv(N, K, B, lda: ldb, A + i * lda, row)
                } else {
                    for j in 0..<N {
                        var s: Float = 0
                        for p in 0..<K { s += A[p * lda + i] * B[j * ldb + p] }
                        row[j] = s
                    }
                }
            }
            for j in 0..<N { c[j] = alpha * row[j] + (beta == 0 ? 0 : beta * c[j]) }
        }
    }
}

/// Environment switches read once.
enum RNNKitEnvironment {
    /// What `RNNKIT_BLAS` takes besides a library's path or file name.
    #if canImport(Accelerate)
    static let namedBLASChoices = ["auto", "none", "accelerate"]
    #else
    static let namedBLASChoices = ["auto", "none"]
    #endif

    static var blasChoice: String? {
        guard let raw = getenv("RNNKIT_BLAS") else { return nil }
        let value = String(cString: raw)
        return value.isEmpty || value == "auto" ? nil : value
    }
}
