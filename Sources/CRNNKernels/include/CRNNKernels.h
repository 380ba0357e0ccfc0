// CRNNKernels: the few hot loops of RNNKit, vectorized for the CPU found at run time.
//
// Matrices are row-major Float32; `lda`/`ldb` are row strides in elements. Each kernel has a
// naive Swift twin in Sources/RNNKit/Kernels/Reference.swift and a test that compares them.
// The first call picks AVX-512, AVX2+FMA or a portable build (SSE2 / NEON) once, by CPU features.
#ifndef CRNNKERNELS_H
#define CRNNKERNELS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// y[i] (+)= sum_j A[i, j] * x[j]  for i < M, j < N, summed in double and rounded once. Dot form:
/// rows of A are contiguous.
void rk_gemv_n(int M, int N, const float *A, int lda, const float *x, float *y, int accumulate);

/// C[i, j] (+)= sum_k A[i, k] * B[j, k]  (C = A·Bᵀ) for i < M, j < N: x·Wᵀ for a few rows x.
void rk_gemm_nt(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C, int ldc, int accumulate);

/// y[j] += sum_i A[i, j] * x[i]  for i < M, j < N  (y += Aᵀx).  Axpy form over the rows of A.
void rk_gemv_t_acc(int M, int N, const float *A, int lda, const float *x, float *y);

/// W[i, j] += sum_t G[t, i] * X[t, j]  (W += GᵀX): the weight gradient of T steps at once.
void rk_gemm_tn_acc(int T, int M, int N, const float *G, int ldg, const float *X, int ldx,
                    float *W, int ldw);

/// C[i, j] (+)= sum_k A[i, k] * float(B[j, k]) with B in bfloat16 (the top half of a float's
/// bits): the weights widened in registers, sums in float in the same order as rk_gemm_nt's.
void rk_gemm_nt_bf16(int M, int N, int K, const float *A, int lda, const unsigned short *B, int ldb, float *C, int ldc,
                     int accumulate);

/// The int16 bound L for rk_quantize_i16 and rk_gemm_nt_i8 with K columns: min(32767,
/// ⌊(2³¹ − 1) / (127·K)⌋), so that K products of an int8 weight and an int16 activation sum
/// exactly in int32.
int rk_i16_limit(int K);

/// Each row i < M of A (M, K) to int16: Q[i, k] = round(A[i, k]·L/m) (ties to even), scales[i] =
/// m/L, m = max_k |A[i, k]|, L = rk_i16_limit(K). A zero row gets scale 0, a row with NaN or ±inf
/// scale NaN (and zeros), so that its products are NaN.
void rk_quantize_i16(int M, int K, const float *A, int lda, short *Q, int ldq, float *scales);

/// C[i, j] (+)= float(Σ_k A[i, k]·B[j, k])·(sa[i]·sb[j]) with A (M, K) int16 activations
/// (rk_quantize_i16) and B (N, K) int8 weights with a scale per row: the sum is exact in int32, so
/// every instruction set gives the same bits.
void rk_gemm_nt_i8(int M, int N, int K, const short *A, int lda, const float *sa, const signed char *B, int ldb,
                   const float *sb, float *C, int ldc, int accumulate);

/// y = bfloat16(x), rounded to nearest (ties to even); a finite x stays finite, NaN stays NaN.
void rk_to_bf16(int n, const float *x, unsigned short *y);

/// Columns per panel of a packed matrix (see rk_pack_panels).
#define RK_PANEL 32

/// Packs the (K, N) matrix B as rows row0 ..< row0 + K of a (Kp, N) packed matrix: ceil(N / RK_PANEL)
/// panels, each Kp rows of RK_PANEL contiguous columns, zero-padded past N:
/// out[((j / RK_PANEL)·Kp + row0 + k)·RK_PANEL + j % RK_PANEL] = B[k, j].
/// B[k, j] is src[k·ld + j], or src[j·ld + k] when `transposed` (packing Wᵀ from W). Two calls
/// stack two matrices, e.g. [W_ih W_hh]ᵀ. The packed matrix holds rk_packed_size(Kp, N) floats.
void rk_pack_panels(int K, int N, const float *src, int ld, int transposed, float *out, int row0, int Kp);
int rk_packed_size(int K, int N);

/// C[i, j] = bias[j] + sum_k [A1 A2][i, k] * B[k0 + k, j], or C[i, j] += … when bias is NULL, for
/// i < M, j < N: rows k0 ..< k0 + K1 + K2 of the (Kp, N) matrix B packed by rk_pack_panels, A1
/// (M, K1) and A2 (M, K2) side by side (A2 may be NULL when K2 = 0). One step of a batch:
/// [x h]·[W_ih W_hh]ᵀ + b, or dpre·W. No packing per call, unlike a BLAS, and each row's result
/// is the same however many rows are computed together.
void rk_gemm_nn_packed(int M, int N, int Kp, int k0, int K1, const float *A1, int lda1, int K2, const float *A2,
                       int lda2, const float *packed, const float *bias, float *C, int ldc);

/// p = softmax(y) over n classes (p may not alias y); returns log Σ_k exp(y_k), so that the
/// cross-entropy of class t is the result − y[t]. NaN in, NaN out.
float rk_softmax(int n, const float *y, float *p);

/// Returns *counter and increments it, atomically: threads taking work items one at a time.
int rk_next_index(int *counter);

// The activations below are accurate to a few float ulps for every float input, at every
// instruction set (KernelTests states the bounds), keep −0 and tiny values, saturate cleanly and
// propagate NaN; y may alias x.

/// y = tanh(x), elementwise.
void rk_tanh(int n, const float *x, float *y);

/// y = 1 / (1 + exp(-x)), elementwise.
void rk_sigmoid(int n, const float *x, float *y);

/// y = exp(x), elementwise (subnormal results included; +inf above 88.72).
void rk_exp(int n, const float *x, float *y);

/// LSTM gate math for B rows: pre (B, 4H) = preX + preH in gate order i, f, g, o; writes the
/// activated gates (B, 4H), c = f*c_prev + i*g and h = o*tanh(c), (B, H) each.
void rk_lstm_forward(int B, int H, const float *pre, const float *c_prev, float *c, float *h, float *gates);

/// Its backward: from dh (B, H) and dc (B, H, the gradient reaching c from the next step; replaced
/// by the gradient for c_prev), writes dpre (B, 4H).
void rk_lstm_backward(int B, int H, const float *dh, float *dc, const float *c_prev, const float *c, const float *gates,
                      float *dpre);

/// g = (1 - h*h) * dh: the backward of h = tanh(a) given h (g may alias dh).
void rk_tanh_backward(int n, const float *h, const float *dh, float *g);

/// y += a * x.
void rk_axpy(int n, float a, const float *x, float *y);

/// x = min(max(x, lo), hi), elementwise.
void rk_clamp(int n, float lo, float hi, float *x);

/// w -= lr * clamp(g, -clip, clip); g = 0. The tutorial's clip + SGD step + gradient reset in one
/// pass over memory instead of three (pass clip = INFINITY for no clipping).
void rk_sgd_clip_zero(int n, float lr, float clip, float *g, float *w);
/// W -= lr * clamp(G^T X, -clip, clip), bit for bit what rk_gemm_tn_acc into a zero gradient and
/// then rk_sgd_clip_zero give, with the gradient never stored; G (T, M), X (T, N), W (M, N).
void rk_sgd_outer(int T, int M, int N, const float *G, int ldg, const float *X, int ldx, float *W, int ldw, float lr,
                  float clip);

/// Σ x², accumulated in double.
double rk_sumsq(int n, const float *x);

/// 1 when no element is NaN or infinite, else 0.
int rk_all_finite(int n, const float *x);
/// max |x_i| (0 for n = 0), or NaN when an element is NaN or infinite.
float rk_max_abs(int n, const float *x);

/// x *= a.
void rk_scale(int n, float a, float *x);

/// One Adam/AdamW step without AMSGrad (see kernels_impl.h for the equations and their order).
void rk_adam(int n, float *w, const float *g, float *m, float *v, float m_weight, float beta2, float v_scale,
             float l2, int shrink, float decay, float bc2_sqrt, float neg_step, float eps);

/// A part of a pool job: fn(ctx, part).
typedef void (*rk_pool_task)(void *ctx, int part);

/// Runs fn(ctx, 0) … fn(ctx, parts − 1) and returns when all are done: on the calling thread and
/// the pool's workers (started as needed, up to `workers` and parts − 1), each taking the next
/// part as it comes free. The workers spin
/// briefly between jobs, so a job costs a few µs to start, not a system call. Nested calls, and
/// calls while another thread uses the pool, run their parts inline in order (same results).
void rk_pool_run(int parts, int workers, rk_pool_task fn, void *ctx);

/// 1 on a thread running a part of a pool job, else 0.
int rk_pool_in_part(void);

/// Name of the instruction set the kernels run with: "avx512", "avx2" or "portable".
const char *rk_kernel_isa(void);

/// Force an instruction set: 0 portable, 1 avx2, 2 avx512 (clamped to what the CPU has).
/// Returns the level in use. Lets tests compare every variant against the reference.
int rk_set_kernel_level(int level);

/// The best level this CPU supports (0 portable, 1 avx2+fma, 2 avx512f/bw/dq/vl).
int rk_cpu_kernel_level(void);

/// 1 if the CPU has AVX (without AVX2), used to pick an OpenBLAS core type.
int rk_cpu_has_avx(void);

#ifdef __cplusplus
}
#endif
#endif
