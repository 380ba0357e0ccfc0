/// How each n-gram feature is weighed before a text's vector is scaled to unit length.
public enum NgramWeighting: String, Codable, Sendable, CaseIterable {
    /// tf-idf, scikit-learn's `TfidfVectorizer(sublinear_tf=True)`: feature j of a text is
    /// (1 + ln count_j) · idf_j.
    case tfidf
    /// tf-idf times the n-gram's Naive Bayes log-count ratio (Wang & Manning 2012's NBSVM, α = 1),
    /// so that n-grams that tell the labels apart weigh more:
    ///
    ///     p_k = 1 + (training texts of label k holding j),  q_k = 1 + (other training texts holding j)
    ///     r_jk = ln((p_k[j] / ‖p_k‖₁) / (q_k[j] / ‖q_k‖₁))        (one label against the rest)
    ///     feature j = (1 + ln count_j) · idf_j · max_k |r_jk|
    ///
    /// With two labels max_k |r_jk| = |r_j|, and a linear model over it is NBSVM's over r ⊙ x (the
    /// sign of r goes into the weight).
    case naiveBayes = "nb"
}
