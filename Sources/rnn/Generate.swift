import ArgumentParser
import Foundation
import RNNKit

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate text with a language model trained by `rnn train-lm`.",
        discussion: """
            Prints the prompt followed by --length generated tokens (characters, or words joined \
            with spaces), streaming each as it is drawn. The state is warmed up on the prompt \
            first; prompt characters or words the model never saw are fed as <unk> with a warning.

            Each token is drawn from softmax(logits / temperature), restricted to the --top-k \
            most likely tokens and then to the smallest most-likely set of mass ≥ --top-p. \
            --temperature 0 always takes the most likely token. The same --seed gives the same text.

            Examples:
              rnn generate --model lm.safetensors --prompt "ROMEO:" --length 500
              rnn generate --model lm.safetensors --temperature 0.7 --top-p 0.9 --seed 3
            """)

    @Option(help: "A model file written by `rnn train-lm --output`.")
    var model: String

    @Option(help: "Text to start from (default: none).")
    var prompt = ""

    @Option(help: "Tokens to generate (characters or words).")
    var length = 200

    @Option(help: "Sampling temperature: lower is more conservative; 0 is greedy (always the most likely token).")
    var temperature = 1.0

    @Option(help: "Sample only among the K most likely tokens.")
    var topK: Int?

    @Option(help: "Sample only among the most likely tokens whose probabilities add up to P (nucleus sampling).")
    var topP: Double?

    @Option(help: "Seed for the sampling; the same seed gives the same text.")
    var seed: UInt64 = 1

    func validate() throws {
        guard length >= 0 else { throw ValidationError("--length must be 0 or more (got \(length)).") }
        guard temperature.isFinite, temperature >= 0 else {
            throw ValidationError("--temperature must be 0 (greedy) or positive (got \(temperature)).")
        }
        if let topK, topK < 1 { throw ValidationError("--top-k must be at least 1 (got \(topK)).") }
        if let topP, !(topP > 0 && topP <= 1) { throw ValidationError("--top-p must be in (0, 1] (got \(topP)).") }
    }

    func run() throws {
        let languageModel = try reportingErrors { try TextLanguageModel.load(from: model) }
        let options = GenerationOptions(length: length,
                                        sampling: SamplingOptions(temperature: temperature, topK: topK, topP: topP),
                                        seed: seed)
        let console = ProgressOutput(quiet: false)
        try reportingErrors {
            let generator = try TextGenerator(model: languageModel, prompt: prompt, sampling: options.sampling,
                                              seed: options.seed)
            var warned = Set<String>()
            for token in generator.unknownPromptTokens where warned.insert(token).inserted {
                printError("warning: \(jsonQuote(token)) is not in the model's vocabulary; the model sees it as <unk>.")
            }
            console.write(prompt)
            for _ in 0..<length { console.write(try generator.next()) }
            console.write("\n")
        }
    }
}
