import ArgumentParser
import RNNKit

@main
struct RNN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rnn",
        abstract: "Recurrent neural networks for text, from scratch in Swift.",
        discussion: """
            Start with `rnn train`: it runs the experiment of "An Introduction to Recurrent Neural \
            Networks for Beginners" on its built-in 58/20-sentence dataset.
            """,
        version: "RNNKit \(rnnKitVersion)",
        subcommands: [Train.self, Evaluate.self, Predict.self, Info.self, Bench.self, Import.self, TrainLM.self, Generate.self,
                      Explain.self, Serve.self, TrainSeq2Seq.self, Translate.self, Shortlist.self, Tokenize.self],
        defaultSubcommand: nil
    )

    /// Quiets crash reports, then refuses an unusable RNNKIT_THREADS or RNNKIT_BLAS before anything
    /// runs: ignoring one would train with a thread count (so other numbers) or kernels that were
    /// not asked for.
    static func main() {
        CrashReport.install()
        do {
            try RNNKitRuntime.checkEnvironment()
        } catch {
            exit(withError: CommandError(error.description))
        }
        main(nil)
    }
}
