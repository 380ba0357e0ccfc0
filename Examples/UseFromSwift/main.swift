// The README's "Use from Swift" section, compiled and run by the test suite (rnnTests).
// Run it yourself from the package root: swift run -c release UseFromSwift
import RNNKit

// The tutorial's experiment: 58 sentences, a vanilla RNN, 1000 epochs of SGD.
let tutorial = try TextClassifier.train(on: .tutorialTrain, recipe: .tutorial)
let p = try tutorial.predict("i am very good")
print(p.label, p.probabilities)                    // positive [0.0003, 0.9997]

// Your own data: a TSV file with `text` and `score` columns, scores above 0 positive.
var recipe = ClassifierRecipe.standard             // embeddings, max pooling, Adam, early stopping
recipe.cell = .gru
recipe.hiddenSize = 64
recipe.training.epochs = 2                         // a quick run (the recipe's own: up to 20)
let movie = try TextClassifier.train(
    on: .file("data/movie/train.tsv", label: "score", threshold: 0),
    validation: .file("data/movie/dev.tsv", label: "score", threshold: 0),
    recipe: recipe)
let test = try movie.evaluate(on: .file("data/movie/test.tsv", label: "score", threshold: 0))
print("test accuracy", test.report.accuracy)

try movie.save(to: "movie.safetensors")            // PyTorch loads it too
let loaded = try TextClassifier.load(from: "movie.safetensors")
print(try loaded.predict("a gorgeous, witty, seductive movie").label)

// A character language model, trained for 5 seconds, then sampled.
var lm = LanguageModelRecipe.charRNN
lm.training.maxTime = 5
lm.training.epochs = nil
let shakespeare = try TextLanguageModel.train(onFile: "data/tinyshakespeare.txt", recipe: lm)
try shakespeare.generate(prompt: "ROMEO:", options: GenerationOptions(length: 100, seed: 1)) { piece in
    print(piece, terminator: "")
}
print()
