// Kernel bodies, written once with clang vector extensions and included by kernels.c once per
// instruction set. Before including, define: VW (floats per vector), VT (vector type), VI (the int
// vector of the same width), VD (the double vector of half that width), VH (the float vector of half that width), VU (the unsigned short vector of the full width), SUFFIX(name), TARGET (a function attribute choosing the instruction
// set) and FMA(a, b, c) = a*b + c (fused where the instruction set has it).

#define LOADV(p) (*(const VT *)(p))
#define STOREV(p, v) (*(VT *)(p) = (v))
#define SPLAT(s) ((VT)(s))
// Lane-wise mask ? a : b. Comparisons with NaN are false, so clamping with it keeps NaN (the
// min/max builtins would silently replace NaN by a bound and hide a diverged model).
#define SELECT(mask, a, b) ((VT)(((mask) & (VI)(a)) | (~(mask) & (VI)(b))))
#define CLAMPV(x, lo, hi) SELECT((x) < (lo), (lo), SELECT((x) > (hi), (hi), (x)))

TARGET static inline float SUFFIX(hsum)(VT v) {
    rk_v4 r = REDUCE4(v);
    return (r.x + r.z) + (r.y + r.w);
}

TARGET static inline double SUFFIX(hsumd)(VD v) {
    double s = 0;
    for (int k = 0; k < VW / 2; k++) s += v[k];
    return s;
}

// The four sums of four vectors, as one 4-vector: halve each to 4 lanes, then a 4×4 transpose-add.
TARGET static inline rk_v4 SUFFIX(hsum4)(VT a, VT b, VT c, VT d) {
    rk_v4 ra = REDUCE4(a), rb = REDUCE4(b), rc = REDUCE4(c), rd = REDUCE4(d);
    rk_v4 ab = __builtin_shufflevector(ra, rb, 0, 4, 1, 5) + __builtin_shufflevector(ra, rb, 2, 6, 3, 7);
    rk_v4 cd = __builtin_shufflevector(rc, rd, 0, 4, 1, 5) + __builtin_shufflevector(rc, rd, 2, 6, 3, 7);
    return __builtin_shufflevector(ab, cd, 0, 1, 4, 5) + __builtin_shufflevector(ab, cd, 2, 3, 6, 7);
}

// y[0..3] (+)= the sums of a, b, c and d, in double, rounded once. With four-double vectors the
// four sums come from one transpose-add (two pair-adds and a half swap) instead of four
// lane-by-lane sums.
TARGET static inline __attribute__((always_inline)) void SUFFIX(finish4d)(VD a, VD b, VD c, VD d, float *y,
                                                                          int accumulate) {
#if VW == 8
    VD ab = __builtin_shufflevector(a, b, 0, 4, 2, 6) + __builtin_shufflevector(a, b, 1, 5, 3, 7);
    VD cd = __builtin_shufflevector(c, d, 0, 4, 2, 6) + __builtin_shufflevector(c, d, 1, 5, 3, 7);
    VD r = __builtin_shufflevector(ab, cd, 0, 1, 4, 5) + __builtin_shufflevector(ab, cd, 2, 3, 6, 7);
    if (accumulate) r += __builtin_convertvector(*(const VH *)y, VD);
    *(VH *)y = __builtin_convertvector(r, VH);
#else
    double s[4] = {SUFFIX(hsumd)(a), SUFFIX(hsumd)(b), SUFFIX(hsumd)(c), SUFFIX(hsumd)(d)};
    for (int r = 0; r < 4; r++) y[r] = (float)(accumulate ? s[r] + (double)y[r] : s[r]);
#endif
}

// Eight rows of gemv_n from row pointer a, with one accumulator each: the widening of x is shared by
// eight rows (the conversions, not the FMAs, bound this loop), and eight chains hide the FMA latency.
// `xd`: x already widened (a constant after inlining, so the loop has no branch), else widened here.
TARGET static inline __attribute__((always_inline)) void SUFFIX(gemv_n_rows8)(int N, const float *a, int lda,
                                                                              const float *x, const double *xd,
                                                                              float *y, int accumulate) {
#define WIDEN(p) __builtin_convertvector(*(const VH *)(p), VD)
    enum { HW = VW / 2 };
    const float *a0 = a, *a1 = a0 + lda, *a2 = a1 + lda, *a3 = a2 + lda;
    const float *a4 = a3 + lda, *a5 = a4 + lda, *a6 = a5 + lda, *a7 = a6 + lda;
    VD s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
    const int whole = N - N % HW;  // one induction variable in the loop
    int j = 0;
    for (; j < whole; j += HW) {
        VD xv = xd ? *(const VD *)(xd + j) : WIDEN(x + j);
        s0 = FMA(WIDEN(a0 + j), xv, s0);
        s1 = FMA(WIDEN(a1 + j), xv, s1);
        s2 = FMA(WIDEN(a2 + j), xv, s2);
        s3 = FMA(WIDEN(a3 + j), xv, s3);
        s4 = FMA(WIDEN(a4 + j), xv, s4);
        s5 = FMA(WIDEN(a5 + j), xv, s5);
        s6 = FMA(WIDEN(a6 + j), xv, s6);
        s7 = FMA(WIDEN(a7 + j), xv, s7);
    }
    if (j == N) {
        SUFFIX(finish4d)(s0, s1, s2, s3, y, accumulate);
        SUFFIX(finish4d)(s4, s5, s6, s7, y + 4, accumulate);
        return;
    }
    double s[8] = {SUFFIX(hsumd)(s0), SUFFIX(hsumd)(s1), SUFFIX(hsumd)(s2), SUFFIX(hsumd)(s3),
                   SUFFIX(hsumd)(s4), SUFFIX(hsumd)(s5), SUFFIX(hsumd)(s6), SUFFIX(hsumd)(s7)};
    for (; j < N; j++) {
        double xj = x[j];
        for (int r = 0; r < 8; r++) s[r] += (double)a[(size_t)r * lda + j] * xj;
    }
    for (int r = 0; r < 8; r++) y[r] = (float)(accumulate ? s[r] + (double)y[r] : s[r]);
#undef WIDEN
}

// The one-row product of the per-example path (the tutorial's x·Wᵀ and h·W_hhᵀ at every step),
// accumulated in double and rounded once: a recurrence with large weights amplifies the rounding of
// each step's sums a hundredfold, and Float sums of 64 terms leave h_T and the logits several times
// further from a float64 oracle than plain float32 numpy's BLAS gets (the float32 inputs' own
// rounding is then all that remains). Eight rows at a time, then four, then one.
TARGET void SUFFIX(gemv_n)(int M, int N, const float *A, int lda, const float *x, float *y,
                           int accumulate) {
    // Half vectors are widened straight from memory (a load folded into the conversion), so each
    // half costs one conversion and one FMA.
#define WIDEN(p) __builtin_convertvector(*(const VH *)(p), VD)
    enum { HW = VW / 2 };
    int i = 0;
    // x widened once into double for all the eight-row blocks (the recurrent widths fit on the stack).
    double xd[256] __attribute__((aligned(64)));
    if (N <= 256 && M >= 16) {
        for (int j = 0; j + HW <= N; j += HW) *(VD *)(xd + j) = WIDEN(x + j);
        for (; i + 8 <= M; i += 8) SUFFIX(gemv_n_rows8)(N, A + (size_t)i * lda, lda, x, xd, y + i, accumulate);
    } else {
        for (; i + 8 <= M; i += 8) SUFFIX(gemv_n_rows8)(N, A + (size_t)i * lda, lda, x, 0, y + i, accumulate);
    }
    for (; i + 4 <= M; i += 4) {
        const float *a0 = A + (size_t)i * lda, *a1 = a0 + lda, *a2 = a1 + lda, *a3 = a2 + lda;
        VD l0 = 0, h0 = 0, l1 = 0, h1 = 0, l2 = 0, h2 = 0, l3 = 0, h3 = 0;
        int j = 0;
        for (; j + VW <= N; j += VW) {
            VD xl = WIDEN(x + j), xh = WIDEN(x + j + HW);
            l0 = FMA(WIDEN(a0 + j), xl, l0); h0 = FMA(WIDEN(a0 + j + HW), xh, h0);
            l1 = FMA(WIDEN(a1 + j), xl, l1); h1 = FMA(WIDEN(a1 + j + HW), xh, h1);
            l2 = FMA(WIDEN(a2 + j), xl, l2); h2 = FMA(WIDEN(a2 + j + HW), xh, h2);
            l3 = FMA(WIDEN(a3 + j), xl, l3); h3 = FMA(WIDEN(a3 + j + HW), xh, h3);
        }
        if (j == N) {
            SUFFIX(finish4d)(l0 + h0, l1 + h1, l2 + h2, l3 + h3, y + i, accumulate);
            continue;
        }
        double s[4] = {SUFFIX(hsumd)(l0 + h0), SUFFIX(hsumd)(l1 + h1), SUFFIX(hsumd)(l2 + h2), SUFFIX(hsumd)(l3 + h3)};
        for (; j < N; j++) {
            double xj = x[j];
            s[0] += (double)a0[j] * xj; s[1] += (double)a1[j] * xj; s[2] += (double)a2[j] * xj; s[3] += (double)a3[j] * xj;
        }
        for (int r = 0; r < 4; r++) y[i + r] = (float)(accumulate ? s[r] + (double)y[i + r] : s[r]);
    }
    for (; i < M; i++) {
        const float *a = A + (size_t)i * lda;
        VD lo = 0, hi = 0;
        int j = 0;
        for (; j + VW <= N; j += VW) {
            lo = FMA(WIDEN(a + j), WIDEN(x + j), lo);
            hi = FMA(WIDEN(a + j + HW), WIDEN(x + j + HW), hi);
        }
        double s = SUFFIX(hsumd)(lo + hi);
        for (; j < N; j++) s += (double)a[j] * (double)x[j];
        y[i] = (float)(accumulate ? s + (double)y[i] : s);
    }
#undef WIDEN
}

// gemm_nt's body for B in float or, when `half`, in bfloat16 (`Bh`): each bfloat16 weight is
// widened to float in registers (zero-extend, shift into the top half), which halves the bytes a
// one-row product streams from memory; the sums are the float path's.
#define LOADBF(p) ((VT)(__builtin_convertvector(*(const VU *)(p), VI) << 16))
TARGET static inline float SUFFIX(bf16)(unsigned short u) {
    unsigned int w = (unsigned int)u << 16;
    float f;
    __builtin_memcpy(&f, &w, 4);
    return f;
}

TARGET static inline __attribute__((always_inline)) void SUFFIX(gemm_nt_body)(
    int M, int N, int K, const float *A, int lda, const float *Bf, const unsigned short *Bh, int ldb, float *C, int ldc,
    int accumulate, const int half) {
#define LOADB(off) (half ? LOADBF(Bh + (off)) : LOADV(Bf + (off)))
#define ELEMB(off) (half ? SUFFIX(bf16)(Bh[off]) : Bf[off])
    // Four rows of B at a time against every row of A: each row of B is read from memory once
    // (A, a few sequence steps, stays in L1), where M separate matrix-vector products would
    // stream all of B M times.
    int j = 0;
    for (; j + 4 <= N; j += 4) {
        const size_t b0 = (size_t)j * ldb, b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
        for (int i = 0; i < M; i++) {
            const float *a = A + (size_t)i * lda;
            VT c0 = SPLAT(0), c1 = SPLAT(0), c2 = SPLAT(0), c3 = SPLAT(0);
            int k = 0;
            for (; k + VW <= K; k += VW) {
                VT av = LOADV(a + k);
                c0 = FMA(LOADB(b0 + k), av, c0);
                c1 = FMA(LOADB(b1 + k), av, c1);
                c2 = FMA(LOADB(b2 + k), av, c2);
                c3 = FMA(LOADB(b3 + k), av, c3);
            }
            rk_v4 s = SUFFIX(hsum4)(c0, c1, c2, c3);
            for (; k < K; k++) {
                s.x += ELEMB(b0 + k) * a[k]; s.y += ELEMB(b1 + k) * a[k];
                s.z += ELEMB(b2 + k) * a[k]; s.w += ELEMB(b3 + k) * a[k];
            }
            float *c = C + (size_t)i * ldc + j;
            if (accumulate) s += *(const rk_v4 *)c;
            *(rk_v4 *)c = s;
        }
    }
    for (; j < N; j++) {
        const size_t b = (size_t)j * ldb;
        for (int i = 0; i < M; i++) {
            const float *a = A + (size_t)i * lda;
            VT cv = SPLAT(0);
            int k = 0;
            for (; k + VW <= K; k += VW) cv = FMA(LOADB(b + k), LOADV(a + k), cv);
            float s = SUFFIX(hsum)(cv);
            for (; k < K; k++) s += ELEMB(b + k) * a[k];
            C[(size_t)i * ldc + j] = accumulate ? C[(size_t)i * ldc + j] + s : s;
        }
    }
#undef LOADB
#undef ELEMB
}
#undef LOADBF

TARGET void SUFFIX(gemm_nt)(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C,
                            int ldc, int accumulate) {
    SUFFIX(gemm_nt_body)(M, N, K, A, lda, B, 0, ldb, C, ldc, accumulate, 0);
}

TARGET void SUFFIX(gemm_nt_bf16)(int M, int N, int K, const float *A, int lda, const unsigned short *B, int ldb,
                                 float *C, int ldc, int accumulate) {
    SUFFIX(gemm_nt_body)(M, N, K, A, lda, 0, B, ldb, C, ldc, accumulate, 1);
}

TARGET void SUFFIX(gemv_t_acc)(int M, int N, const float *A, int lda, const float *x, float *y) {
    int j = 0;
    // A block of 4 vectors of y stays in registers while all M rows stream past; even and odd
    // rows feed separate accumulators so eight FMA chains are in flight.
    for (; j + 4 * VW <= N; j += 4 * VW) {
        VT e0 = LOADV(y + j), e1 = LOADV(y + j + VW), e2 = LOADV(y + j + 2 * VW), e3 = LOADV(y + j + 3 * VW);
        VT o0 = SPLAT(0), o1 = SPLAT(0), o2 = SPLAT(0), o3 = SPLAT(0);
        int i = 0;
        for (; i + 2 <= M; i += 2) {
            const float *a = A + (size_t)i * lda + j, *b = a + lda;
            VT xa = SPLAT(x[i]), xb = SPLAT(x[i + 1]);
            e0 = FMA(LOADV(a), xa, e0);
            e1 = FMA(LOADV(a + VW), xa, e1);
            e2 = FMA(LOADV(a + 2 * VW), xa, e2);
            e3 = FMA(LOADV(a + 3 * VW), xa, e3);
            o0 = FMA(LOADV(b), xb, o0);
            o1 = FMA(LOADV(b + VW), xb, o1);
            o2 = FMA(LOADV(b + 2 * VW), xb, o2);
            o3 = FMA(LOADV(b + 3 * VW), xb, o3);
        }
        if (i < M) {
            const float *a = A + (size_t)i * lda + j;
            VT xa = SPLAT(x[i]);
            e0 = FMA(LOADV(a), xa, e0);
            e1 = FMA(LOADV(a + VW), xa, e1);
            e2 = FMA(LOADV(a + 2 * VW), xa, e2);
            e3 = FMA(LOADV(a + 3 * VW), xa, e3);
        }
        STOREV(y + j, e0 + o0); STOREV(y + j + VW, e1 + o1);
        STOREV(y + j + 2 * VW, e2 + o2); STOREV(y + j + 3 * VW, e3 + o3);
    }
    for (; j + VW <= N; j += VW) {
        VT e = LOADV(y + j);
        for (int i = 0; i < M; i++) e = FMA(LOADV(A + (size_t)i * lda + j), SPLAT(x[i]), e);
        STOREV(y + j, e);
    }
    for (; j < N; j++) {
        float s = y[j];
        for (int i = 0; i < M; i++) s += A[(size_t)i * lda + j] * x[i];
        y[j] = s;
    }
}

// The body of gemm_tn_acc and sgd_outer, one code so that their sums agree bit for bit: each
// element of W is the chain of FMAs over the T steps in order, started from W (gemm_tn_acc) or from
// +0 and then applied as an SGD step, w + (−lr)·clamp(sum), the update of sgd_clip_zero (sgd).
// Each element of W is loaded and stored once for all T steps (T outer products would touch it T
// times), and each loaded piece of X serves two rows of W.
TARGET static inline __attribute__((always_inline)) void SUFFIX(gemm_tn_body)(
    int T, int M, int N, const float *G, int ldg, const float *X, int ldx, float *W, int ldw, int sgd, float lr,
    float clip) {
    VT lrv = SPLAT(-lr), lo = SPLAT(-clip), hi = SPLAT(clip);
#define START(p) (sgd ? SPLAT(0) : LOADV(p))
#define FINISH(p, acc) STOREV(p, sgd ? FMA(lrv, CLAMPV(acc, lo, hi), LOADV(p)) : (acc))
#define START1(p) (sgd ? 0.0f : *(p))
#define FINISH1(p, acc) do { \
        if (sgd) { float gv = (acc) < -clip ? -clip : ((acc) > clip ? clip : (acc)); *(p) += -lr * gv; } \
        else *(p) = (acc); \
    } while (0)
    int i = 0;
    for (; i + 2 <= M; i += 2) {
        float *w0 = W + (size_t)i * ldw, *w1 = w0 + ldw;
        int j = 0;
        for (; j + 4 * VW <= N; j += 4 * VW) {
            VT a0 = START(w0 + j), a1 = START(w0 + j + VW), a2 = START(w0 + j + 2 * VW), a3 = START(w0 + j + 3 * VW);
            VT b0 = START(w1 + j), b1 = START(w1 + j + VW), b2 = START(w1 + j + 2 * VW), b3 = START(w1 + j + 3 * VW);
            for (int t = 0; t < T; t++) {
                const float *xr = X + (size_t)t * ldx + j;
                VT x0 = LOADV(xr), x1 = LOADV(xr + VW), x2 = LOADV(xr + 2 * VW), x3 = LOADV(xr + 3 * VW);
                VT ga = SPLAT(G[(size_t)t * ldg + i]), gb = SPLAT(G[(size_t)t * ldg + i + 1]);
                a0 = FMA(x0, ga, a0); a1 = FMA(x1, ga, a1); a2 = FMA(x2, ga, a2); a3 = FMA(x3, ga, a3);
                b0 = FMA(x0, gb, b0); b1 = FMA(x1, gb, b1); b2 = FMA(x2, gb, b2); b3 = FMA(x3, gb, b3);
            }
            FINISH(w0 + j, a0); FINISH(w0 + j + VW, a1); FINISH(w0 + j + 2 * VW, a2); FINISH(w0 + j + 3 * VW, a3);
            FINISH(w1 + j, b0); FINISH(w1 + j + VW, b1); FINISH(w1 + j + 2 * VW, b2); FINISH(w1 + j + 3 * VW, b3);
        }
        for (; j + VW <= N; j += VW) {
            VT a = START(w0 + j), b = START(w1 + j);
            for (int t = 0; t < T; t++) {
                VT x = LOADV(X + (size_t)t * ldx + j);
                a = FMA(x, SPLAT(G[(size_t)t * ldg + i]), a);
                b = FMA(x, SPLAT(G[(size_t)t * ldg + i + 1]), b);
            }
            FINISH(w0 + j, a); FINISH(w1 + j, b);
        }
        for (; j < N; j++) {
            float sa = START1(w0 + j), sb = START1(w1 + j);
            for (int t = 0; t < T; t++) {
                sa += G[(size_t)t * ldg + i] * X[(size_t)t * ldx + j];
                sb += G[(size_t)t * ldg + i + 1] * X[(size_t)t * ldx + j];
            }
            FINISH1(w0 + j, sa); FINISH1(w1 + j, sb);
        }
    }
    for (; i < M; i++) {
        float *w = W + (size_t)i * ldw;
        int j = 0;
        for (; j + VW <= N; j += VW) {
            VT c = START(w + j);
            for (int t = 0; t < T; t++) c = FMA(LOADV(X + (size_t)t * ldx + j), SPLAT(G[(size_t)t * ldg + i]), c);
            FINISH(w + j, c);
        }
        for (; j < N; j++) {
            float s = START1(w + j);
            for (int t = 0; t < T; t++) s += G[(size_t)t * ldg + i] * X[(size_t)t * ldx + j];
            FINISH1(w + j, s);
        }
    }
#undef START
#undef FINISH
#undef START1
#undef FINISH1
}

TARGET void SUFFIX(gemm_tn_acc)(int T, int M, int N, const float *G, int ldg, const float *X, int ldx,
                                float *W, int ldw) {
    SUFFIX(gemm_tn_body)(T, M, N, G, ldg, X, ldx, W, ldw, 0, 0, 0);
}

// W −= lr·clamp(Gᵀ·X, −clip, clip): gemm_tn_acc into a zero gradient and then sgd_clip_zero, without
// the gradient ever stored (the per-example SGD step applies W_hh's gradient so). The +0 blocks
// sgd_clip_zero skips would give w + (−lr)·(+0) = w here, so the weights agree bit for bit.
TARGET void SUFFIX(sgd_outer)(int T, int M, int N, const float *G, int ldg, const float *X, int ldx,
                              float *W, int ldw, float lr, float clip) {
    SUFFIX(gemm_tn_body)(T, M, N, G, ldg, X, ldx, W, ldw, 1, lr, clip);
}

// e^x = 2^k·e^r for x in [−104, 89]: k = round(x / ln 2) (by the 1.5·2^23 trick, not floor, which
// SSE2 lacks: a libm call per lane), r = x − k·ln 2 with |r| ≤ ln 2 / 2 (Cody–Waite: k·C1 is
// exact), e^r from Cephes' degree-7 polynomial (about 1 ulp). Returns e^r and sets *k.
TARGET static inline VT SUFFIX(exp_reduced)(VT x, VI *k) {
    VT n = (x * SPLAT(1.44269504088896341f) + SPLAT(12582912.0f)) - SPLAT(12582912.0f);
    VT r = FMA(n, SPLAT(-0.693359375f), x);
    r = FMA(n, SPLAT(2.12194440e-4f), r);
    VT p = FMA(SPLAT(1.9875691500e-4f), r, SPLAT(1.3981999507e-3f));
    p = FMA(p, r, SPLAT(8.3334519073e-3f));
    p = FMA(p, r, SPLAT(4.1665795894e-2f));
    p = FMA(p, r, SPLAT(1.6666665459e-1f));
    p = FMA(p, r, SPLAT(5.0000001201e-1f));
    *k = __builtin_convertvector(n, VI);
    return FMA(p, r * r, r) + SPLAT(1.0f);
}

// 2^k as a float, for −126 ≤ k ≤ 127.
#define POW2(k) ((VT)(((k) + 127) << 23))

// e^x to about 1 ulp for every float x: 0 below −103.98, +∞ above 88.73, NaN stays NaN. 2^k is
// applied as two factors 2^⌊k/2⌋·2^⌈k/2⌉, so that results in the subnormal range are rounded once
// instead of flushed to 0, and e^88.7 overflows to ∞ instead of wrapping the exponent bits.
TARGET static inline VT SUFFIX(expv)(VT x) {
    VI k;
    VT p = SUFFIX(exp_reduced)(CLAMPV(x, SPLAT(-104.0f), SPLAT(89.0f)), &k);  // NaN passes the clamp
    VI k1 = k >> 1;
    return p * POW2(k1) * POW2(k - k1);
}

// tanh(x) to about 1 ulp for every float x, as sign(x)·tanh(|x|) (exactly odd; −0 gives −0).
// |x| < 0.55: |x| + |x|³·P(x²), a degree-4 minimax fit of (tanh(x) − x)/x³ (relative error 1e-9,
// far below float's), so tiny and subnormal x give x exactly. Otherwise 1 − 2e/(1 + e) with
// e = e^−2|x| ≤ 1/3: the subtracted term is at most 1/2, so its rounding costs at most half an ulp
// of the result. |x| is capped at 10, past 9.01 tanh rounds to 1 (so e is normal and one 2^k
// does); ±∞ give ±1, NaN stays NaN.
TARGET static inline VT SUFFIX(tanhv)(VT x) {
    VT ax = __builtin_elementwise_abs(x);
    VT x2 = x * x;
    VT p = FMA(x2, SPLAT(-6.2742093577980995e-3f), SPLAT(2.107166312634945e-2f));
    p = FMA(x2, p, SPLAT(-5.385230854153633e-2f));
    p = FMA(x2, p, SPLAT(1.3332585990428925e-1f));
    p = FMA(x2, p, SPLAT(-3.3333316445350647e-1f));
    VT small = FMA(ax * x2, p, ax);
    VI k;
    VT capped = SELECT(ax > SPLAT(10.0f), SPLAT(10.0f), ax);  // NaN passes
    VT e = SUFFIX(exp_reduced)(capped * SPLAT(-2.0f), &k) * POW2(k);
    VT large = SPLAT(1.0f) - (e + e) / (SPLAT(1.0f) + e);
    VT t = SELECT(ax < SPLAT(0.55f), small, large);
    return (VT)((VI)t | ((VI)x & (VI)SPLAT(-0.0f)));
}

// σ(x) = 1/(1 + e^−x) for x ≥ 0 and e^x/(1 + e^x) below, with e = e^−|x| ≤ 1 either way: no
// overflow, and σ of very negative x keeps its full relative accuracy down to the subnormals
// (1 + e rounds to 1 there and σ(x) = e^x). About 2 ulps; NaN stays NaN.
TARGET static inline VT SUFFIX(sigmoidv)(VT x) {
    VT e = SUFFIX(expv)(-__builtin_elementwise_abs(x));
    return SELECT(x >= SPLAT(0.0f), SPLAT(1.0f), e) / (SPLAT(1.0f) + e);
}

// y = f(x) elementwise for a vector function f; the lanes past n go through a copy, so every
// element sees the same arithmetic.
#define MAP_UNARY(f, n, x, y)                                                   \
    do {                                                                        \
        int i_ = 0;                                                             \
        for (; i_ + VW <= (n); i_ += VW) STOREV((y) + i_, f(LOADV((x) + i_)));  \
        if (i_ < (n)) {                                                         \
            VT buf_ = SPLAT(0);                                                 \
            for (int k_ = 0; i_ + k_ < (n); k_++) buf_[k_] = (x)[i_ + k_];      \
            buf_ = f(buf_);                                                     \
            for (int k_ = 0; i_ + k_ < (n); k_++) (y)[i_ + k_] = buf_[k_];      \
        }                                                                       \
    } while (0)

TARGET void SUFFIX(tanh)(int n, const float *x, float *y) { MAP_UNARY(SUFFIX(tanhv), n, x, y); }

TARGET void SUFFIX(sigmoid)(int n, const float *x, float *y) { MAP_UNARY(SUFFIX(sigmoidv), n, x, y); }

TARGET void SUFFIX(exp)(int n, const float *x, float *y) { MAP_UNARY(SUFFIX(expv), n, x, y); }

// p = softmax(y) over n classes; returns log Σ_k exp(y_k) (so −log p_t = result − y_t without
// taking the log of a rounded probability). Lanes past n go through a copy padded with −∞ (max)
// and 0 (sum).
TARGET float SUFFIX(softmax)(int n, const float *y, float *p) {
    VT mv = SPLAT(-__builtin_inff());
    int i = 0;
    for (; i + VW <= n; i += VW) mv = __builtin_elementwise_max(mv, LOADV(y + i));
    float m = -__builtin_inff();
    for (int k = 0; k < VW; k++) m = mv[k] > m ? mv[k] : m;
    for (int k = i; k < n; k++) m = y[k] > m ? y[k] : m;
    if (!(m > -__builtin_inff() && m < __builtin_inff())) {
        // All −∞, +∞ or NaN: let the arithmetic propagate NaN, as the plain formula would.
        float nan = __builtin_nanf("");
        for (int k = 0; k < n; k++) p[k] = nan;
        return nan;
    }
    VT ms = SPLAT(m), sv = SPLAT(0);
    for (i = 0; i + VW <= n; i += VW) {
        VT e = SUFFIX(expv)(LOADV(y + i) - ms);
        STOREV(p + i, e);
        sv += e;
    }
    if (i < n) {
        VT buf = SPLAT(-__builtin_inff());
        for (int k = 0; i + k < n; k++) buf[k] = y[i + k];
        VT e = SUFFIX(expv)(buf - ms);  // −∞ lanes give 0
        for (int k = 0; i + k < n; k++) p[i + k] = e[k];
        sv += e;
    }
    float sum = SUFFIX(hsum)(sv);
    // Divided, not multiplied by 1/sum: one rounding instead of two.
    VT sums = SPLAT(sum);
    for (i = 0; i + VW <= n; i += VW) STOREV(p + i, LOADV(p + i) / sums);
    for (; i < n; i++) p[i] /= sum;
    return m + __builtin_logf(sum);
}

// The LSTM cell's gate math for B rows (see Sources/RNNKit/Recurrent/LSTMCell.swift for the
// equations; this is the same arithmetic, vectorized across each row). pre: (B, 4H) holds
// preX + preH; gates (B, 4H) receives i, f, g, o; c, h: (B, H). Lanes past H in the last chunk
// go through a copy, so every element sees the same vector arithmetic.
TARGET static inline void SUFFIX(lstm_fwd_chunk)(const float *pre, float *gate, const float *cp, float *c, float *h,
                                                 int H, int k, int n) {
    VT pi = SPLAT(0), pf = SPLAT(0), pg = SPLAT(0), po = SPLAT(0), cv = SPLAT(0);
    for (int l = 0; l < n; l++) {
        pi[l] = pre[k + l]; pf[l] = pre[H + k + l]; pg[l] = pre[2 * H + k + l]; po[l] = pre[3 * H + k + l]; cv[l] = cp[k + l];
    }
    VT i = SUFFIX(sigmoidv)(pi), f = SUFFIX(sigmoidv)(pf), g = SUFFIX(tanhv)(pg), o = SUFFIX(sigmoidv)(po);
    VT cn = f * cv + i * g;
    VT hn = o * SUFFIX(tanhv)(cn);
    for (int l = 0; l < n; l++) {
        gate[k + l] = i[l]; gate[H + k + l] = f[l]; gate[2 * H + k + l] = g[l]; gate[3 * H + k + l] = o[l];
        c[k + l] = cn[l]; h[k + l] = hn[l];
    }
}

TARGET void SUFFIX(lstm_forward)(int B, int H, const float *pre, const float *c_prev, float *c, float *h, float *gates) {
    for (int b = 0; b < B; b++) {
        const float *p = pre + (size_t)b * 4 * H, *cp = c_prev + (size_t)b * H;
        float *gate = gates + (size_t)b * 4 * H, *cr = c + (size_t)b * H, *hr = h + (size_t)b * H;
        int k = 0;
        for (; k + VW <= H; k += VW) {
            VT i = SUFFIX(sigmoidv)(LOADV(p + k)), f = SUFFIX(sigmoidv)(LOADV(p + H + k));
            VT g = SUFFIX(tanhv)(LOADV(p + 2 * H + k)), o = SUFFIX(sigmoidv)(LOADV(p + 3 * H + k));
            VT cn = f * LOADV(cp + k) + i * g;
            STOREV(gate + k, i); STOREV(gate + H + k, f); STOREV(gate + 2 * H + k, g); STOREV(gate + 3 * H + k, o);
            STOREV(cr + k, cn);
            STOREV(hr + k, o * SUFFIX(tanhv)(cn));
        }
        if (k < H) SUFFIX(lstm_fwd_chunk)(p, gate, cp, cr, hr, H, k, H - k);
    }
}

TARGET static inline void SUFFIX(lstm_bwd_lanes)(VT dh, VT dc, VT cp, VT cv, VT i, VT f, VT g, VT o,
                                                 VT *di, VT *df, VT *dg, VT *dout, VT *dc_prev) {
    VT one = SPLAT(1.0f);
    VT tc = SUFFIX(tanhv)(cv);
    VT dct = dc + dh * o * (one - tc * tc);
    *di = dct * g * i * (one - i);
    *df = dct * cp * f * (one - f);
    *dg = dct * i * (one - g * g);
    *dout = dh * tc * o * (one - o);
    *dc_prev = dct * f;
}

TARGET void SUFFIX(lstm_backward)(int B, int H, const float *dh, float *dc, const float *c_prev, const float *c,
                                  const float *gates, float *dpre) {
    for (int b = 0; b < B; b++) {
        const float *dhr = dh + (size_t)b * H, *cp = c_prev + (size_t)b * H, *cr = c + (size_t)b * H;
        const float *gate = gates + (size_t)b * 4 * H;
        float *dcr = dc + (size_t)b * H, *d = dpre + (size_t)b * 4 * H;
        int k = 0;
        for (; k + VW <= H; k += VW) {
            VT di, df, dg, dout, dcp;
            SUFFIX(lstm_bwd_lanes)(LOADV(dhr + k), LOADV(dcr + k), LOADV(cp + k), LOADV(cr + k), LOADV(gate + k),
                                   LOADV(gate + H + k), LOADV(gate + 2 * H + k), LOADV(gate + 3 * H + k),
                                   &di, &df, &dg, &dout, &dcp);
            STOREV(d + k, di); STOREV(d + H + k, df); STOREV(d + 2 * H + k, dg); STOREV(d + 3 * H + k, dout);
            STOREV(dcr + k, dcp);
        }
        if (k < H) {
            int n = H - k;
            VT a[8];
            for (int q = 0; q < 8; q++) a[q] = SPLAT(0);
            for (int l = 0; l < n; l++) {
                a[0][l] = dhr[k + l]; a[1][l] = dcr[k + l]; a[2][l] = cp[k + l]; a[3][l] = cr[k + l];
                a[4][l] = gate[k + l]; a[5][l] = gate[H + k + l]; a[6][l] = gate[2 * H + k + l]; a[7][l] = gate[3 * H + k + l];
            }
            VT di, df, dg, dout, dcp;
            SUFFIX(lstm_bwd_lanes)(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], &di, &df, &dg, &dout, &dcp);
            for (int l = 0; l < n; l++) {
                d[k + l] = di[l]; d[H + k + l] = df[l]; d[2 * H + k + l] = dg[l]; d[3 * H + k + l] = dout[l];
                dcr[k + l] = dcp[l];
            }
        }
    }
}

TARGET void SUFFIX(tanh_backward)(int n, const float *h, const float *dh, float *g) {
    int i = 0;
    for (; i + VW <= n; i += VW) {
        VT hv = LOADV(h + i);
        STOREV(g + i, (SPLAT(1.0f) - hv * hv) * LOADV(dh + i));
    }
    for (; i < n; i++) g[i] = (1.0f - h[i] * h[i]) * dh[i];
}

TARGET void SUFFIX(axpy)(int n, float a, const float *x, float *y) {
    int i = 0;
    VT av = SPLAT(a);
    for (; i + VW <= n; i += VW) STOREV(y + i, FMA(av, LOADV(x + i), LOADV(y + i)));
    for (; i < n; i++) y[i] += a * x[i];
}

TARGET void SUFFIX(clamp)(int n, float lo, float hi, float *x) {
    int i = 0;
    VT lov = SPLAT(lo), hiv = SPLAT(hi);
    for (; i + VW <= n; i += VW)
        STOREV(x + i, CLAMPV(LOADV(x + i), lov, hiv));
    for (; i < n; i++) x[i] = x[i] < lo ? lo : (x[i] > hi ? hi : x[i]);
}

TARGET void SUFFIX(sgd_clip_zero)(int n, float lr, float clip, float *g, float *w) {
    int i = 0;
    VT lrv = SPLAT(-lr), lo = SPLAT(-clip), hi = SPLAT(clip);
    for (; i + VW <= n; i += VW) {
        VT graw = LOADV(g + i);
        // All +0 (the rows of W_ih for words not in the example): w + (−lr)·(+0) = w bit for bit
        // and g is already zero, so the two stores are skipped.
        if (__builtin_reduce_or((VI)graw) == 0) continue;
        VT gv = CLAMPV(graw, lo, hi);
        STOREV(w + i, FMA(lrv, gv, LOADV(w + i)));
        STOREV(g + i, SPLAT(0));
    }
    for (; i < n; i++) {
        float gv = g[i] < -clip ? -clip : (g[i] > clip ? clip : g[i]);
        w[i] += -lr * gv;
        g[i] = 0;
    }
}

// Σ x² in double: the global gradient norm of millions of elements must not lose small terms.
TARGET double SUFFIX(sumsq)(int n, const float *x) {
    double total = 0;
    int i = 0;
    // Blocks of 256 summed in float (exact enough for 256 terms), then added in double.
    while (i + VW <= n) {
        VT a0 = SPLAT(0), a1 = SPLAT(0);
        int end = i + 256 < n ? i + 256 : n;
        for (; i + 2 * VW <= end; i += 2 * VW) {
            VT v0 = LOADV(x + i), v1 = LOADV(x + i + VW);
            a0 = FMA(v0, v0, a0);
            a1 = FMA(v1, v1, a1);
        }
        for (; i + VW <= end; i += VW) { VT v = LOADV(x + i); a0 = FMA(v, v, a0); }
        VT a = a0 + a1;
        double block = 0;
        for (int k = 0; k < VW; k++) block += (double)a[k];
        total += block;
    }
    for (; i < n; i++) total += (double)x[i] * (double)x[i];
    return total;
}

// 1 when every element is finite. x·0 is 0 for finite x and NaN for ±∞ or NaN, so the sum of
// those products is NaN exactly when one element is not finite: one multiply-add per vector.
TARGET int SUFFIX(all_finite)(int n, const float *x) {
    // Four accumulators: one would serialize on the add latency.
    VT a0 = SPLAT(0), a1 = SPLAT(0), a2 = SPLAT(0), a3 = SPLAT(0);
    int i = 0;
    for (; i + 4 * VW <= n; i += 4 * VW) {
        a0 = a0 + LOADV(x + i) * SPLAT(0.0f);
        a1 = a1 + LOADV(x + i + VW) * SPLAT(0.0f);
        a2 = a2 + LOADV(x + i + 2 * VW) * SPLAT(0.0f);
        a3 = a3 + LOADV(x + i + 3 * VW) * SPLAT(0.0f);
    }
    for (; i + VW <= n; i += VW) a0 = a0 + LOADV(x + i) * SPLAT(0.0f);
    VT acc = (a0 + a1) + (a2 + a3);
    float tail = 0;
    for (; i < n; i++) tail += x[i] * 0.0f;
    float total = tail;
    for (int k = 0; k < VW; k++) total += acc[k];
    return total == total;
}

// max |x_i|, or NaN when an element is not finite (the x·0 sum of all_finite rides along).
TARGET float SUFFIX(max_abs)(int n, const float *x) {
    VT m0 = SPLAT(0), m1 = SPLAT(0), z0 = SPLAT(0), z1 = SPLAT(0);
    VI magnitude = (VI)(0x7fffffff);
    int i = 0;
    for (; i + 2 * VW <= n; i += 2 * VW) {
        VT v0 = LOADV(x + i), v1 = LOADV(x + i + VW);
        VT a0 = (VT)((VI)v0 & magnitude), a1 = (VT)((VI)v1 & magnitude);
        m0 = SELECT(a0 > m0, a0, m0);
        m1 = SELECT(a1 > m1, a1, m1);
        z0 = z0 + v0 * SPLAT(0.0f);
        z1 = z1 + v1 * SPLAT(0.0f);
    }
    for (; i + VW <= n; i += VW) {
        VT v = LOADV(x + i), a = (VT)((VI)v & magnitude);
        m0 = SELECT(a > m0, a, m0);
        z0 = z0 + v * SPLAT(0.0f);
    }
    VT mv = SELECT(m1 > m0, m1, m0), zv = z0 + z1;
    float m = 0, z = 0;
    for (int k = 0; k < VW; k++) { m = mv[k] > m ? mv[k] : m; z += zv[k]; }
    for (; i < n; i++) {
        float a = x[i] < 0 ? -x[i] : x[i];
        m = a > m ? a : m;
        z += x[i] * 0.0f;
    }
    return z == z ? m : z;
}

TARGET void SUFFIX(scale)(int n, float a, float *x) {
    int i = 0;
    VT av = SPLAT(a);
    for (; i + VW <= n; i += VW) STOREV(x + i, LOADV(x + i) * av);
    for (; i < n; i++) x[i] *= a;
}

// One Adam/AdamW step (no AMSGrad) in the operation order of RNNKit's Swift `AdamCore`, which is
// PyTorch's single-tensor CPU path; for first-moment weights below 0.5 (PyTorch's lerp then
// computes m + w·(g − m)). Contraction into FMAs is off so both agree to the bit.
//   θ' = shrink ? θ·decay : θ            g' = l2 ≠ 0 ? g + l2·θ' : g
//   m = m + w·(g' − m)                    v = v·β2 + (1 − β2)·g'·g'
//   θ = θ' + (−step_size·m) / (sqrt(v) / sqrt(bc2) + eps)
TARGET void SUFFIX(adam)(int n, float *w, const float *g, float *m, float *v, float m_weight, float beta2,
                         float v_scale, float l2, int shrink, float decay, float bc2_sqrt, float neg_step, float eps) {
#pragma clang fp contract(off)
    int i = 0;
    VT mw = SPLAT(m_weight), b2 = SPLAT(beta2), vs = SPLAT(v_scale), l2v = SPLAT(l2), dv = SPLAT(decay);
    VT bs = SPLAT(bc2_sqrt), ns = SPLAT(neg_step), ep = SPLAT(eps);
    for (; i + VW <= n; i += VW) {
        VT th = LOADV(w + i), gv = LOADV(g + i);
        if (shrink) th = th * dv;
        if (l2 != 0) gv = gv + l2v * th;
        VT mv = LOADV(m + i);
        mv = mv + mw * (gv - mv);
        VT vv = LOADV(v + i) * b2 + vs * gv * gv;
        VT denom = __builtin_elementwise_sqrt(vv) / bs + ep;
        STOREV(w + i, th + ns * mv / denom);
        STOREV(m + i, mv);
        STOREV(v + i, vv);
    }
    for (; i < n; i++) {
        float th = w[i], gv = g[i];
        if (shrink) th = th * decay;
        if (l2 != 0) gv = gv + l2 * th;
        float mv = m[i] + m_weight * (gv - m[i]);
        float vv = v[i] * beta2 + v_scale * gv * gv;
        float denom = __builtin_sqrtf(vv) / bc2_sqrt + eps;
        w[i] = th + neg_step * mv / denom;
        m[i] = mv; v[i] = vv;
    }
}

// ---- C (+)= [A1 A2]·B with B packed in panels (rk_pack_panels): the per-step products ----
// Register blocks of NN_ROWS rows × two vectors: each B vector loaded serves NN_ROWS rows and each
// broadcast of A two vectors, so the FMA units, not the loads, set the pace (AVX-512: 26
// accumulators + 3 of the 32 registers, so a 13-row chunk of a 50-stream batch is one block;
// 8- and 4-wide: 12 + 3 of 16). Every element starts from
// C (or the bias) and adds its products in k order through the same FMA chain whatever the
// block's height, so a row's result does not depend on how rows are grouped (in blocks or
// between threads).
#define NN_SUB (2 * VW)
#define NN_ROWS (VW == 16 ? 13 : 6)

// acc[r] += Σ_k A[r, k] · P[k] over K rows of a panel, for R rows and two vectors.
TARGET static inline __attribute__((always_inline)) void SUFFIX(nn_rank_k)(const int R, int K, const float *A, int lda,
                                                                         const float *p, VT *lo, VT *hi) {
    for (int k = 0; k < K; k++, p += RK_PANEL) {
        VT b0 = LOADV(p), b1 = LOADV(p + VW);
        _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++) {
            VT a = SPLAT(A[(size_t)r * lda + k]);
            lo[r] = FMA(a, b0, lo[r]);
            hi[r] = FMA(a, b1, hi[r]);
        }
    }
}

TARGET static inline __attribute__((always_inline)) void SUFFIX(nn_block)(
    const int R, int K1, const float *A1, int lda1, int K2, const float *A2, int lda2, const float *P,
    const float *bias, float *C, int ldc, int cols) {
    VT lo[NN_ROWS], hi[NN_ROWS];
    float edge[NN_ROWS][NN_SUB];  // a partial column block goes through here, zero-padded
    if (bias) {
        float b[NN_SUB];
        for (int j = 0; j < NN_SUB; j++) b[j] = j < cols ? bias[j] : 0.0f;
        VT b0 = LOADV(b), b1 = LOADV(b + VW);
        _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++) { lo[r] = b0; hi[r] = b1; }
    } else if (cols == NN_SUB) {
        _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++) { lo[r] = LOADV(C + (size_t)r * ldc); hi[r] = LOADV(C + (size_t)r * ldc + VW); }
    } else {
        _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++) {
            for (int j = 0; j < NN_SUB; j++) edge[r][j] = j < cols ? C[(size_t)r * ldc + j] : 0.0f;
            lo[r] = LOADV(edge[r]); hi[r] = LOADV(edge[r] + VW);
        }
    }
    SUFFIX(nn_rank_k)(R, K1, A1, lda1, P, lo, hi);
    SUFFIX(nn_rank_k)(R, K2, A2, lda2, P + (size_t)K1 * RK_PANEL, lo, hi);
    if (cols == NN_SUB) {
        _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++) { STOREV(C + (size_t)r * ldc, lo[r]); STOREV(C + (size_t)r * ldc + VW, hi[r]); }
    } else {
        _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++) {
            STOREV(edge[r], lo[r]); STOREV(edge[r] + VW, hi[r]);
            for (int j = 0; j < cols; j++) C[(size_t)r * ldc + j] = edge[r][j];
        }
    }
}

TARGET void SUFFIX(gemm_nn_packed)(int M, int N, int Kp, int k0, int K1, const float *A1, int lda1, int K2,
                                   const float *A2, int lda2, const float *P, const float *bias, float *C, int ldc) {
    if (M <= 0) return;
    // Blocks of nearly equal height (30 rows: 10, 10, 10 rather than 13, 13, 4).
    int blocks = (M + NN_ROWS - 1) / NN_ROWS, base = M / blocks, taller = M % blocks;
    for (int j0 = 0; j0 < N; j0 += NN_SUB) {
        const float *panel = P + (size_t)(j0 / RK_PANEL) * Kp * RK_PANEL + (size_t)k0 * RK_PANEL + j0 % RK_PANEL;
        const float *b = bias ? bias + j0 : 0;
        int cols = N - j0 < NN_SUB ? N - j0 : NN_SUB;
        int i = 0;
        for (int blk = 0; blk < blocks; blk++) {
            int R = base + (blk < taller);
            const float *a1 = A1 + (size_t)i * lda1, *a2 = A2 ? A2 + (size_t)i * lda2 : 0;
            float *c = C + (size_t)i * ldc + j0;
            switch (R) {
#define NN_CASE(n) case n: SUFFIX(nn_block)(n, K1, a1, lda1, K2, a2, lda2, panel, b, c, ldc, cols); break;
            NN_CASE(1) NN_CASE(2) NN_CASE(3) NN_CASE(4) NN_CASE(5) NN_CASE(6)
#if VW == 16
            NN_CASE(7) NN_CASE(8) NN_CASE(9) NN_CASE(10) NN_CASE(11) NN_CASE(12) NN_CASE(13)
#endif
#undef NN_CASE
            }
            i += R;
        }
    }
}
#undef NN_SUB
#undef NN_ROWS


// ---- int8 weights, int16 activations, exact integer sums ----

// Each row of A to int16 with its own scale: q = round(a·L/m), scale = m/L, m = max|a| over the
// row, L = rk_i16_limit(K). Ties round to even (the float magic-number add, exact for |x| < 2²²).
// A zero row gets scale 0; a row with NaN or ±inf gets scale NaN (its products come out NaN); a
// row so small that L/m overflows is scaled in double. The product and the rounding are separate
// statements, so that no FMA contracts them (Reference.swift rounds the float product).
TARGET void SUFFIX(quantize_i16)(int M, int K, const float *A, int lda, short *Q, int ldq, float *scales) {
    const float L = (float)rk_i16_limit(K), magic = 12582912.0f;  // 1.5·2²³
    for (int i = 0; i < M; i++) {
        const float *a = A + (size_t)i * lda;
        short *q = Q + (size_t)i * ldq;
        float m = SUFFIX(max_abs)(K, a), inv = L / m;
        if (m == 0 || m != m) {
            for (int k = 0; k < K; k++) q[k] = 0;
            scales[i] = m == 0 ? 0.0f : m;
            continue;
        }
        scales[i] = m / L;
        int k = 0;
        if (inv <= __FLT_MAX__) {
            for (; k + VW <= K; k += VW) {
                VT x = LOADV(a + k) * SPLAT(inv);
                VT r = (x + SPLAT(magic)) - SPLAT(magic);
                *(VQ *)(q + k) = __builtin_convertvector(__builtin_convertvector(r, VI), VQ);
            }
            for (; k < K; k++) {
                float x = a[k] * inv;
                q[k] = (short)((x + magic) - magic);
            }
        } else {
            // rint rounds to nearest, ties to even, in the default rounding mode (no libm call).
            for (; k < K; k++) q[k] = (short)__builtin_rint((double)a[k] * (double)L / (double)m);
        }
    }
}

// MADD16(b, a): pairs of int16 products summed into int32 lanes (x86's pmaddwd; kernels.c defines it
// for each instruction set).
#define LOADQ8(p) __builtin_convertvector(*(const VB *)(p), VS)

TARGET static inline rk_i4 SUFFIX(hsum4i)(VI a, VI b, VI c, VI d) {
    rk_i4 ra = REDUCE4(a), rb = REDUCE4(b), rc = REDUCE4(c), rd = REDUCE4(d);
    rk_i4 ab = __builtin_shufflevector(ra, rb, 0, 4, 1, 5) + __builtin_shufflevector(ra, rb, 2, 6, 3, 7);
    rk_i4 cd = __builtin_shufflevector(rc, rd, 0, 4, 1, 5) + __builtin_shufflevector(rc, rd, 2, 6, 3, 7);
    return __builtin_shufflevector(ab, cd, 0, 1, 4, 5) + __builtin_shufflevector(ab, cd, 2, 3, 6, 7);
}

// Row i of a four-column block: the tail columns past the vectors, the scales, the store.
TARGET static inline __attribute__((always_inline)) void SUFFIX(i8_store4)(
    rk_i4 s, int k, int K, const short *a, const signed char *b0, int ldb, rk_v4 sbv, float sa, float *c, int accumulate) {
    for (; k < K; k++) {
        s.x += b0[k] * a[k]; s.y += b0[ldb + k] * a[k]; s.z += b0[2 * (size_t)ldb + k] * a[k]; s.w += b0[3 * (size_t)ldb + k] * a[k];
    }
    rk_v4 r = __builtin_convertvector(s, rk_v4) * (sbv * sa);
    if (accumulate) r += *(const rk_v4 *)c;
    *(rk_v4 *)c = r;
}

// C[i, j] (+)= float(Σ_k A[i, k]·B[j, k]) · (sa[i]·sb[j]): the sum exact in int32 (rk_i16_limit
// bounds it), so every instruction set and every split gives the same bits. As gemm_nt, four rows
// of B at a time against every row of A, two rows of A at once: each widened row of B serves both.
TARGET void SUFFIX(gemm_nt_i8)(int M, int N, int K, const short *A, int lda, const float *sa, const signed char *B,
                               int ldb, const float *sb, float *C, int ldc, int accumulate) {
    int j = 0;
    for (; j + 4 <= N; j += 4) {
        const signed char *b0 = B + (size_t)j * ldb, *b1 = b0 + ldb, *b2 = b1 + ldb, *b3 = b2 + ldb;
        const rk_v4 sbv = {sb[j], sb[j + 1], sb[j + 2], sb[j + 3]};
        int i = 0;
        for (; i + 2 <= M; i += 2) {
            const short *a = A + (size_t)i * lda, *e = a + lda;
            VI c0 = 0, c1 = 0, c2 = 0, c3 = 0, d0 = 0, d1 = 0, d2 = 0, d3 = 0;
            int k = 0;
            for (; k + 2 * VW <= K; k += 2 * VW) {
                VS av = *(const VS *)(a + k), ev = *(const VS *)(e + k);
                VS w0 = LOADQ8(b0 + k), w1 = LOADQ8(b1 + k), w2 = LOADQ8(b2 + k), w3 = LOADQ8(b3 + k);
                c0 += MADD16(w0, av); d0 += MADD16(w0, ev);
                c1 += MADD16(w1, av); d1 += MADD16(w1, ev);
                c2 += MADD16(w2, av); d2 += MADD16(w2, ev);
                c3 += MADD16(w3, av); d3 += MADD16(w3, ev);
            }
            SUFFIX(i8_store4)(SUFFIX(hsum4i)(c0, c1, c2, c3), k, K, a, b0, ldb, sbv, sa[i], C + (size_t)i * ldc + j, accumulate);
            SUFFIX(i8_store4)(SUFFIX(hsum4i)(d0, d1, d2, d3), k, K, e, b0, ldb, sbv, sa[i + 1], C + (size_t)(i + 1) * ldc + j,
                              accumulate);
        }
        for (; i < M; i++) {
            const short *a = A + (size_t)i * lda;
            VI c0 = 0, c1 = 0, c2 = 0, c3 = 0;
            int k = 0;
            for (; k + 2 * VW <= K; k += 2 * VW) {
                VS av = *(const VS *)(a + k);
                c0 += MADD16(LOADQ8(b0 + k), av);
                c1 += MADD16(LOADQ8(b1 + k), av);
                c2 += MADD16(LOADQ8(b2 + k), av);
                c3 += MADD16(LOADQ8(b3 + k), av);
            }
            SUFFIX(i8_store4)(SUFFIX(hsum4i)(c0, c1, c2, c3), k, K, a, b0, ldb, sbv, sa[i], C + (size_t)i * ldc + j, accumulate);
        }
    }
    for (; j < N; j++) {
        const signed char *b = B + (size_t)j * ldb;
        for (int i = 0; i < M; i++) {
            const short *a = A + (size_t)i * lda;
            VI cv = 0;
            int k = 0;
            for (; k + 2 * VW <= K; k += 2 * VW) cv += MADD16(LOADQ8(b + k), *(const VS *)(a + k));
            rk_i4 s4 = REDUCE4(cv);
            int s = (s4.x + s4.z) + (s4.y + s4.w);
            for (; k < K; k++) s += b[k] * a[k];
            float r = (float)s * (sb[j] * sa[i]);
            C[(size_t)i * ldc + j] = accumulate ? C[(size_t)i * ldc + j] + r : r;
        }
    }
}
#undef LOADQ8
#undef MAP_UNARY
#undef POW2
#undef SELECT
#undef CLAMPV
#undef LOADV
#undef STOREV
#undef SPLAT
