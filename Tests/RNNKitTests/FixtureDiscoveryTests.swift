import Foundation
import Testing

// The committed fixtures are found in the test bundle, and `RNNKIT_FIXTURES` adds to them.

@Suite("Fixture discovery")
struct FixtureDiscoveryTests {
    /// The committed fixture files, by name (what scripts/fixtures/ writes).
    static let committedSeed = ["seed_step_clipping.json", "seed_step_illconditioned.json",
                                "seed_step_small_init.json", "seed_trajectory.json"]

    @Test("The committed seed and torch fixtures are in the test bundle")
    func committedFixtures() throws {
        let seed = try Fixtures.jsonFiles(in: "seed", extra: nil)
        #expect(seed.map(\.lastPathComponent) == Self.committedSeed)
        let torch = try Fixtures.jsonFiles(in: "torch", extra: nil)
        #expect(torch.count == 21)
        for url in torch {
            let weights = url.deletingPathExtension().appendingPathExtension("safetensors")
            #expect(FileManager.default.fileExists(atPath: weights.path), "\(url.lastPathComponent) has no .safetensors")
        }
    }

    @Test("RNNKIT_FIXTURES adds its seed/ and torch/ cases to the committed ones")
    func extraFolderAdds() throws {
        let dir = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let committed = try Fixtures.jsonFiles(in: "seed", extra: nil)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("seed"), withIntermediateDirectories: true)
        let added = dir.appendingPathComponent("seed/seed_extra.json")
        try FileManager.default.copyItem(at: committed[0], to: added)

        let seed = try Fixtures.jsonFiles(in: "seed", extra: dir)
        #expect(seed.count == committed.count + 1)
        #expect(Array(seed.prefix(committed.count)) == committed)
        #expect(seed.last?.standardizedFileURL == added.standardizedFileURL)
        // No torch/ in the extra folder: the committed torch fixtures alone.
        #expect(try Fixtures.jsonFiles(in: "torch", extra: dir) == Fixtures.jsonFiles(in: "torch", extra: nil))
    }

    @Test("An RNNKIT_FIXTURES folder without fixtures is an error, not a silent no-op")
    func extraFolderMustHoldFixtures() throws {
        let dir = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect { try Fixtures.jsonFiles(in: "seed", extra: dir) } throws: {
            "\($0)".contains("neither a seed/ nor a torch/ folder")
        }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("seed"), withIntermediateDirectories: true)
        #expect { try Fixtures.jsonFiles(in: "seed", extra: dir) } throws: { "\($0)".contains("holds no *.json file") }
        #expect { try Fixtures.jsonFiles(in: "seed", extra: dir.appendingPathComponent("missing")) } throws: {
            "\($0)".contains("RNNKIT_FIXTURES=")
        }
    }

    @Test("The data files the tests read are in the repository's data/ folder")
    func dataFiles() throws {
        for path in ["tutorial/train.tsv", "tutorial/test.tsv", "movie/train.tsv", "movie/dev.tsv",
                     "movie/test.tsv", "tinyshakespeare.txt"] {
            _ = try Fixtures.dataFile(path)
        }
        #expect(throws: Fixtures.Missing.self) { try Fixtures.dataFile("no/such.tsv") }
    }
}
