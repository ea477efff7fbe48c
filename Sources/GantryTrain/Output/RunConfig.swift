/// config.json: what a run was asked to do and what it ran on.
struct RunConfig: Codable {
    var options: [String: SettingValue]
    var worldSize: Int
    var localBatch: Int
    var globalBatch: Int
    var totalSteps: Int
    var dataset: DatasetDescription
    var versions: [String: String]
    var host: String
    var started: String
    var arguments: [String]
    /// The run's id (RunIdentity), also in every checkpoint it writes; nil in a config.json
    /// written before run ids, until the run is resumed.
    var runId: String?
    /// The checkpoint a run directory was seeded from (`--resume FILE` into a new `--out`).
    var resumedFrom: String?
    /// Every time the run was resumed: at which step, on how many ranks, with which flags changed.
    var resumes: [Resumption]
    /// What the run computed with when it started (nil in a config.json written before they were recorded).
    var blas: BLASDescription?
    var cpu: CPUDescription?
}

/// One resumption of a run, recorded in config.json: changed flags take effect at `step`.
struct Resumption: Codable {
    var step: Int
    var worldSize: Int
    var globalBatch: Int
    var totalSteps: Int
    var checkpoint: String
    var time: String
    var changed: [String: String]
    var arguments: [String]

}

struct DatasetDescription: Codable {
    var name: String
    var count: Int
}
