#include "CRNNKernels.h"

#if defined(__x86_64__) || defined(__i386__)
#define RK_X86 1
#endif

// The largest int16 activation magnitude for rk_gemm_nt_i8 with K columns: K·127·L stays below 2³¹, so
// the int32 sums are exact (no lane can hold more).
int rk_i16_limit(int K) {
    long long L = 2147483647LL / (127LL * (K > 1 ? K : 1));
    return (int)(L < 32767 ? L : 32767);
}

// Pairs of int16 products summed into int32 lanes: lane k = b[2k]·a[2k] + b[2k+1]·a[2k+1].
#define MADD16_GENERIC(b, a) (__builtin_convertvector((b).even, VI) * __builtin_convertvector((a).even, VI) + \
                              __builtin_convertvector((b).odd, VI) * __builtin_convertvector((a).odd, VI))
typedef short rk_hi8 __attribute__((vector_size(16)));
typedef short rk_hi16 __attribute__((vector_size(32)));
typedef short rk_hi32 __attribute__((vector_size(64)));

// ---- portable: 4-wide (SSE2 on x86-64, NEON on arm64); no FMA assumed ----
typedef float rk_v4 __attribute__((ext_vector_type(4), aligned(4)));
typedef int rk_i4 __attribute__((ext_vector_type(4), aligned(4)));
typedef double rk_d2 __attribute__((ext_vector_type(2)));
typedef float rk_h2 __attribute__((ext_vector_type(2), aligned(4)));
typedef unsigned short rk_u4 __attribute__((ext_vector_type(4), aligned(2)));
typedef short rk_q4 __attribute__((ext_vector_type(4), aligned(2)));
typedef short rk_s8 __attribute__((ext_vector_type(8), aligned(2)));
typedef signed char rk_b8 __attribute__((ext_vector_type(8), aligned(1)));
#define REDUCE4(v) (v)
#define VW 4
#define VT rk_v4
#define VI rk_i4
#define VD rk_d2
#define VH rk_h2
#define VU rk_u4
#define VQ rk_q4
#define VS rk_s8
#define VB rk_b8
#define SUFFIX(name) rk_portable_##name
#define TARGET
#ifdef RK_X86
#define MADD16(b, a) ((VI)__builtin_ia32_pmaddwd128((rk_hi8)(b), (rk_hi8)(a)))
#else
#define MADD16(b, a) MADD16_GENERIC(b, a)
#endif
#if defined(__aarch64__)
#define FMA(a, b, c) __builtin_elementwise_fma(a, b, c)
#else
#define FMA(a, b, c) ((a) * (b) + (c))
#endif
#include "kernels_impl.h"
#undef VW
#undef VT
#undef VI
#undef VD
#undef VH
#undef VU
#undef VQ
#undef VS
#undef VB
#undef SUFFIX
#undef MADD16
#undef TARGET
#undef FMA

#ifdef RK_X86
typedef float rk_v8 __attribute__((ext_vector_type(8), aligned(4)));
typedef int rk_i8 __attribute__((ext_vector_type(8), aligned(4)));
typedef double rk_d4 __attribute__((ext_vector_type(4)));
typedef float rk_h4 __attribute__((ext_vector_type(4), aligned(4)));
typedef unsigned short rk_u8 __attribute__((ext_vector_type(8), aligned(2)));
typedef short rk_q8 __attribute__((ext_vector_type(8), aligned(2)));
typedef short rk_s16 __attribute__((ext_vector_type(16), aligned(2)));
typedef signed char rk_b16 __attribute__((ext_vector_type(16), aligned(1)));
#undef REDUCE4
#define REDUCE4(v) ((v).lo + (v).hi)
#define VW 8
#define VT rk_v8
#define VI rk_i8
#define VD rk_d4
#define VH rk_h4
#define VU rk_u8
#define VQ rk_q8
#define VS rk_s16
#define VB rk_b16
#define SUFFIX(name) rk_avx2_##name
#define MADD16(b, a) ((VI)__builtin_ia32_pmaddwd256((rk_hi16)(b), (rk_hi16)(a)))
#define TARGET __attribute__((target("avx2,fma")))
#define FMA(a, b, c) __builtin_elementwise_fma(a, b, c)
#include "kernels_impl.h"
#undef VW
#undef VT
#undef VI
#undef VD
#undef VH
#undef VU
#undef VQ
#undef VS
#undef VB
#undef SUFFIX
#undef MADD16
#undef TARGET
#undef FMA

typedef float rk_v16 __attribute__((ext_vector_type(16), aligned(4)));
typedef int rk_i16 __attribute__((ext_vector_type(16), aligned(4)));
typedef double rk_d8 __attribute__((ext_vector_type(8)));
typedef float rk_h8 __attribute__((ext_vector_type(8), aligned(4)));
typedef unsigned short rk_u16 __attribute__((ext_vector_type(16), aligned(2)));
typedef short rk_q16 __attribute__((ext_vector_type(16), aligned(2)));
typedef short rk_s32 __attribute__((ext_vector_type(32), aligned(2)));
typedef signed char rk_b32 __attribute__((ext_vector_type(32), aligned(1)));
#undef REDUCE4
#define REDUCE4(v) (((v).lo + (v).hi).lo + ((v).lo + (v).hi).hi)
#define VW 16
#define VT rk_v16
#define VI rk_i16
#define VD rk_d8
#define VH rk_h8
#define VU rk_u16
#define VQ rk_q16
#define VS rk_s32
#define VB rk_b32
#define SUFFIX(name) rk_avx512_##name
#define MADD16(b, a) ((VI)__builtin_ia32_pmaddwd512((rk_hi32)(b), (rk_hi32)(a)))
#define TARGET __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,fma")))
#define FMA(a, b, c) __builtin_elementwise_fma(a, b, c)
#include "kernels_impl.h"
#undef VW
#undef VT
#undef VI
#undef VD
#undef VH
#undef VU
#undef VQ
#undef VS
#undef VB
#undef SUFFIX
#undef MADD16
#undef TARGET
#undef FMA
#endif

// ---- dispatch ----
typedef struct {
    void (*gemv_n)(int, int, const float *, int, const float *, float *, int);
    void (*gemv_t_acc)(int, int, const float *, int, const float *, float *);
    void (*gemm_nt)(int, int, int, const float *, int, const float *, int, float *, int, int);
    void (*gemm_tn_acc)(int, int, int, const float *, int, const float *, int, float *, int);
    void (*gemm_nn_packed)(int, int, int, int, int, const float *, int, int, const float *, int, const float *,
                           const float *, float *, int);
    void (*tanh)(int, const float *, float *);
    void (*sigmoid)(int, const float *, float *);
    void (*exp)(int, const float *, float *);
    float (*softmax)(int, const float *, float *);
    void (*lstm_forward)(int, int, const float *, const float *, float *, float *, float *);
    void (*lstm_backward)(int, int, const float *, float *, const float *, const float *, const float *, float *);
    void (*tanh_backward)(int, const float *, const float *, float *);
    void (*axpy)(int, float, const float *, float *);
    void (*clamp)(int, float, float, float *);
    void (*sgd_clip_zero)(int, float, float, float *, float *);
    void (*sgd_outer)(int, int, int, const float *, int, const float *, int, float *, int, float, float);
    double (*sumsq)(int, const float *);
    int (*all_finite)(int, const float *);
    float (*max_abs)(int, const float *);
    void (*scale)(int, float, float *);
    void (*adam)(int, float *, const float *, float *, float *, float, float, float, float, int, float, float, float, float);
    void (*gemm_nt_bf16)(int, int, int, const float *, int, const unsigned short *, int, float *, int, int);
    void (*quantize_i16)(int, int, const float *, int, short *, int, float *);
    void (*gemm_nt_i8)(int, int, int, const short *, int, const float *, const signed char *, int, const float *, float *,
                       int, int);
    const char *name;
} rk_table;

#define RK_TABLE(prefix, gemv_prefix, label) { gemv_prefix##gemv_n, prefix##gemv_t_acc, prefix##gemm_nt, prefix##gemm_tn_acc, prefix##gemm_nn_packed, prefix##tanh, prefix##sigmoid, prefix##exp, prefix##softmax, \
    prefix##lstm_forward, prefix##lstm_backward, \
    prefix##tanh_backward, prefix##axpy, prefix##clamp, prefix##sgd_clip_zero, prefix##sgd_outer, \
    prefix##sumsq, prefix##all_finite, prefix##max_abs, prefix##scale, prefix##adam, prefix##gemm_nt_bf16, prefix##quantize_i16, prefix##gemm_nt_i8, label }

static const rk_table rk_tables[] = {
    RK_TABLE(rk_portable_, rk_portable_, "portable"),
#ifdef RK_X86
    RK_TABLE(rk_avx2_, rk_avx2_, "avx2"),
    // gemv in double: the 256-bit version widens and reduces faster than the 512-bit one.
    RK_TABLE(rk_avx512_, rk_avx2_, "avx512"),
#endif
};

int rk_cpu_kernel_level(void) {
#ifdef RK_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"))
        return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
#endif
    return 0;
}

int rk_cpu_has_avx(void) {
#ifdef RK_X86
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx") ? 1 : 0;
#else
    return 0;
#endif
}

// Chosen once; a relaxed pointer read is all a kernel call costs. Tests may switch it, and the
// training code never does, so no synchronisation is needed beyond the pointer being atomic.
static const rk_table *rk_active = 0;

static const rk_table *rk_table_now(void) {
    const rk_table *t = __atomic_load_n(&rk_active, __ATOMIC_RELAXED);
    if (!t) {
        t = &rk_tables[rk_cpu_kernel_level()];
        __atomic_store_n(&rk_active, t, __ATOMIC_RELAXED);
    }
    return t;
}

int rk_set_kernel_level(int level) {
    int best = rk_cpu_kernel_level();
    if (level > best) level = best;
    if (level < 0) level = 0;
    __atomic_store_n(&rk_active, &rk_tables[level], __ATOMIC_RELAXED);
    return level;
}

const char *rk_kernel_isa(void) { return rk_table_now()->name; }

void rk_gemv_n(int M, int N, const float *A, int lda, const float *x, float *y, int accumulate) {
    rk_table_now()->gemv_n(M, N, A, lda, x, y, accumulate);
}
void rk_gemv_t_acc(int M, int N, const float *A, int lda, const float *x, float *y) {
    rk_table_now()->gemv_t_acc(M, N, A, lda, x, y);
}
void rk_gemm_tn_acc(int T, int M, int N, const float *G, int ldg, const float *X, int ldx, float *W, int ldw) {
    rk_table_now()->gemm_tn_acc(T, M, N, G, ldg, X, ldx, W, ldw);
}
void rk_tanh(int n, const float *x, float *y) { rk_table_now()->tanh(n, x, y); }
void rk_tanh_backward(int n, const float *h, const float *dh, float *g) { rk_table_now()->tanh_backward(n, h, dh, g); }
void rk_axpy(int n, float a, const float *x, float *y) { rk_table_now()->axpy(n, a, x, y); }
void rk_clamp(int n, float lo, float hi, float *x) { rk_table_now()->clamp(n, lo, hi, x); }
void rk_sgd_clip_zero(int n, float lr, float clip, float *g, float *w) { rk_table_now()->sgd_clip_zero(n, lr, clip, g, w); }
void rk_sgd_outer(int T, int M, int N, const float *G, int ldg, const float *X, int ldx, float *W, int ldw, float lr,
                  float clip) {
    rk_table_now()->sgd_outer(T, M, N, G, ldg, X, ldx, W, ldw, lr, clip);
}
void rk_sigmoid(int n, const float *x, float *y) { rk_table_now()->sigmoid(n, x, y); }
void rk_exp(int n, const float *x, float *y) { rk_table_now()->exp(n, x, y); }
float rk_softmax(int n, const float *y, float *p) { return rk_table_now()->softmax(n, y, p); }
double rk_sumsq(int n, const float *x) { return rk_table_now()->sumsq(n, x); }
void rk_scale(int n, float a, float *x) { rk_table_now()->scale(n, a, x); }
void rk_adam(int n, float *w, const float *g, float *m, float *v, float m_weight, float beta2, float v_scale,
             float l2, int shrink, float decay, float bc2_sqrt, float neg_step, float eps) {
    rk_table_now()->adam(n, w, g, m, v, m_weight, beta2, v_scale, l2, shrink, decay, bc2_sqrt, neg_step, eps);
}
int rk_all_finite(int n, const float *x) { return rk_table_now()->all_finite(n, x); }
float rk_max_abs(int n, const float *x) { return rk_table_now()->max_abs(n, x); }
void rk_gemm_nt(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C, int ldc, int accumulate) {
    rk_table_now()->gemm_nt(M, N, K, A, lda, B, ldb, C, ldc, accumulate);
}
void rk_lstm_forward(int B, int H, const float *pre, const float *c_prev, float *c, float *h, float *gates) {
    rk_table_now()->lstm_forward(B, H, pre, c_prev, c, h, gates);
}
void rk_lstm_backward(int B, int H, const float *dh, float *dc, const float *c_prev, const float *c, const float *gates,
                      float *dpre) {
    rk_table_now()->lstm_backward(B, H, dh, dc, c_prev, c, gates, dpre);
}
void rk_gemm_nn_packed(int M, int N, int Kp, int k0, int K1, const float *A1, int lda1, int K2, const float *A2,
                      int lda2, const float *packed, const float *bias, float *C, int ldc) {
    rk_table_now()->gemm_nn_packed(M, N, Kp, k0, K1, A1, lda1, K2, A2, lda2, packed, bias, C, ldc);
}

void rk_gemm_nt_bf16(int M, int N, int K, const float *A, int lda, const unsigned short *B, int ldb, float *C, int ldc,
                     int accumulate) {
    rk_table_now()->gemm_nt_bf16(M, N, K, A, lda, B, ldb, C, ldc, accumulate);
}

void rk_quantize_i16(int M, int K, const float *A, int lda, short *Q, int ldq, float *scales) {
    rk_table_now()->quantize_i16(M, K, A, lda, Q, ldq, scales);
}
void rk_gemm_nt_i8(int M, int N, int K, const short *A, int lda, const float *sa, const signed char *B, int ldb,
                   const float *sb, float *C, int ldc, int accumulate) {
    rk_table_now()->gemm_nt_i8(M, N, K, A, lda, sa, B, ldb, sb, C, ldc, accumulate);
}

void rk_to_bf16(int n, const float *x, unsigned short *y) {
    for (int i = 0; i < n; i++) {
        unsigned int u;
        __builtin_memcpy(&u, &x[i], 4);
        if ((u & 0x7f800000u) == 0x7f800000u) {  // NaN stays NaN (a quiet one), ±inf stays ±inf
            y[i] = (unsigned short)((u >> 16) | ((u & 0xffffu) ? 0x40u : 0u));
            continue;
        }
        unsigned int r = u + 0x7fffu + ((u >> 16) & 1u);  // to nearest, ties to even
        // A finite number just below the largest float would round up to infinity: cut it instead.
        y[i] = (unsigned short)(((r & 0x7f800000u) == 0x7f800000u ? u : r) >> 16);
    }
}

int rk_packed_size(int K, int N) { return ((N + RK_PANEL - 1) / RK_PANEL) * RK_PANEL * K; }

void rk_pack_panels(int K, int N, const float *src, int ld, int transposed, float *out, int row0, int Kp) {
    int panels = (N + RK_PANEL - 1) / RK_PANEL;
    for (int p = 0; p < panels; p++) {
        float *panel = out + ((size_t)p * Kp + row0) * RK_PANEL;
        int j0 = p * RK_PANEL, width = N - j0 < RK_PANEL ? N - j0 : RK_PANEL;
        if (transposed) {
            // Each source row j becomes column j of the panel: contiguous reads.
            for (int jj = 0; jj < width; jj++) {
                const float *row = src + (size_t)(j0 + jj) * ld;
                for (int k = 0; k < K; k++) panel[(size_t)k * RK_PANEL + jj] = row[k];
            }
        } else {
            for (int k = 0; k < K; k++) {
                const float *row = src + (size_t)k * ld + j0;
                for (int jj = 0; jj < width; jj++) panel[(size_t)k * RK_PANEL + jj] = row[jj];
            }
        }
        for (int k = 0; k < K; k++)
            for (int jj = width; jj < RK_PANEL; jj++) panel[(size_t)k * RK_PANEL + jj] = 0.0f;
    }
}

int rk_next_index(int *counter) { return __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED); }
