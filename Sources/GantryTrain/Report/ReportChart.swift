/// Which plots a report draws from a run's fields: the known quantities grouped as they are
/// read together, then every other numeric field on a plot of its own (fields added later,
/// such as evaluation metrics, appear without a change here).
struct ReportChart {
    var title: String
    var yLabel: String
    /// Field keys and their legend labels.
    var lines: [(key: String, label: String)]
    var yRange: ClosedRange<Double>? = nil
    /// A key prefix whose other fields join this chart too, labelled by the rest of their key.
    var gathers: String? = nil

    static let known: [ReportChart] = [
        ReportChart(title: "Losses", yLabel: "loss",
                    lines: [("loss_d", "L_D (discriminator)"), ("loss_g", "L_G (generator)")]),
        ReportChart(title: "D(x) and D(G(z))", yLabel: "mean D output",
                    lines: [("d_real", "D(x), real"), ("d_fake", "D(G(z)), generated")], yRange: 0...1),
        ReportChart(title: "Jensen–Shannon divergence estimate", yLabel: "JSD estimate (nats)",
                    lines: [("jsd_estimate", "(log 4 − L_D) / 2")]),
        ReportChart(title: "Throughput", yLabel: "images/s", lines: [("images_per_s", "images/s")]),
        ReportChart(title: "Time per iteration, by part", yLabel: "seconds per iteration",
                    lines: [("seconds.data", "data"), ("seconds.d_compute", "D compute"),
                            ("seconds.d_communication", "D communication"), ("seconds.g_compute", "G compute"),
                            ("seconds.g_communication", "G communication"), ("seconds.optimizer", "optimizer")],
                    gathers: "seconds."),
    ]

    /// The charts for `fieldNames`: each known chart with the lines the run has (parts of
    /// the iteration Gantry does not know yet join the time chart), then one chart per
    /// remaining field.
    static func charts(for fieldNames: [String]) -> [ReportChart] {
        var remaining = fieldNames
        var charts: [ReportChart] = []
        for var chart in known {
            chart.lines = chart.lines.filter { remaining.contains($0.key) }
            if let prefix = chart.gathers {
                let named = Set(chart.lines.map(\.key))
                let others = remaining.filter { $0.hasPrefix(prefix) && !named.contains($0) }
                chart.lines += others.map { ($0, String($0.dropFirst(prefix.count))) }
            }
            remaining.removeAll { key in chart.lines.contains { $0.key == key } }
            if !chart.lines.isEmpty { charts.append(chart) }
        }
        return charts + remaining.map { ReportChart(title: $0, yLabel: $0, lines: [($0, $0)]) }
    }
}
