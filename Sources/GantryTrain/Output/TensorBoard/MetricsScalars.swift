extension MetricsRecord {
    /// The scalars TensorBoard shows for one metrics line, tagged with their metrics.jsonl
    /// names; each part of the iteration is `seconds/<part>`, so the dashboard groups them.
    var tensorBoardScalars: [(tag: String, value: Double)] {
        [("loss_d", lossD), ("loss_g", lossG), ("d_real", dReal), ("d_fake", dFake),
         ("jsd_estimate", jsdEstimate), ("images_per_s", imagesPerS)]
            + (r1.map { [("r1", $0)] } ?? [])
            + seconds.sorted { $0.key < $1.key }.map { ("seconds/\($0.key)", $0.value) }
    }
}
