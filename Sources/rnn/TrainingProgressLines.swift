import Foundation
import RNNKit

/// The lines `train-lm` and `train-seq2seq` print for the events every training loop sends: the
/// resume notice, the live progress line (at most five times a second, and at each epoch's end),
/// the warning for a skipped step, and losses that may not be finite.
struct TrainingProgressLines {
    let out: ProgressOutput
    /// Whether the live line is drawn (a terminal, not --quiet).
    let live: Bool
    /// The epochs of the run, when it has a number of them.
    let epochs: Int?
    /// What the speed counts, e.g. "chars" or "words".
    let unit: String
    private var lastDraw = -1.0

    init(out: ProgressOutput, live: Bool, epochs: Int?, unit: String) {
        (self.out, self.live, self.epochs, self.unit) = (out, live, epochs, unit)
    }

    func resumed(_ plan: TrainingPlan, from checkpoint: String?) {
        guard let r = plan.resumed else { return }
        out.line(String(format: "resuming from %@ at epoch %d, batch %d (%.1f s used)", checkpoint ?? "", r.epoch, r.batch, r.elapsed))
    }

    mutating func batch(_ p: BatchProgress) {
        guard live, p.elapsed - lastDraw >= 0.2 || p.batch == p.batchesPerEpoch else { return }
        lastDraw = p.elapsed
        let epochText = epochs.map { "epoch \(p.epoch)/\($0)" } ?? "epoch \(p.epoch)"
        let eta = p.secondsRemaining.isFinite ? "  ETA \(formatDuration(p.secondsRemaining))" : ""
        out.live(String(format: "%@  %3.0f%%  batch %d/%d  loss %@  %@ %@/s%@", epochText, p.fractionDone * 100, p.batch,
                        p.batchesPerEpoch, Self.number(p.epochLoss), formatRate(p.tokensPerSecond), unit, eta))
    }

    func skipped(epoch: Int, batch: Int) {
        out.clearLive()
        printError("warning: epoch \(epoch), batch \(batch): the gradient is not finite (NaN or infinite); step skipped. "
                   + "A lower --learning-rate or --clip-norm may help.")
    }

    /// A loss with four decimals, or "not finite": NaN never reaches the output.
    static func number(_ x: Double) -> String { x.isFinite ? String(format: "%.4f", x) : "not finite" }

    /// "0.1234 (ppl 1.13)", with ", 1.234 bpc" for characters, or what a loss that is not a finite
    /// number (a skipped step's NaN, an overflow) means: no NaN or infinity is printed.
    static func loss(_ m: Metrics, bitsPerToken: Bool = false) -> String {
        guard m.loss.isFinite else { return "not finite (NaN or infinite: the step was skipped or the model overflows)" }
        let perplexity = m.perplexity.isFinite ? String(format: "ppl %.2f", m.perplexity) : "ppl > 1e308"
        let bits = bitsPerToken && m.bitsPerToken.isFinite ? String(format: ", %.3f bpc", m.bitsPerToken) : ""
        return String(format: "%.4f (%@%@)", m.loss, perplexity, bits)
    }

    /// An epoch's line: "epoch 3: train loss … val loss …  1.2k words/s  12.3 s".
    func epoch(_ e: EpochReport, bitsPerToken: Bool = false) -> String {
        var line = "epoch \(e.epoch)"
        if !e.completeEpoch { line += " (stopped by --max-time)" }
        line += ": train loss " + Self.loss(e.train, bitsPerToken: bitsPerToken)
        if let v = e.validation { line += "  val loss " + Self.loss(v, bitsPerToken: bitsPerToken) }
        return line + String(format: "  %@ %@/s  %.1f s", formatRate(e.tokensPerSecond), unit, e.elapsed)
    }

}
