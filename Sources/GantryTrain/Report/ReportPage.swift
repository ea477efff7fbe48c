import FoundationEssentials
import GantryData

/// `gantry report`'s page: one self-contained HTML file (styles inline, plots as inline SVG,
/// pictures as data: URIs, no script) that shows a run's curves, samples and configuration.
/// It opens from a mail attachment or an archive years later, with no network.
public enum ReportPage {
    /// Pictures in the strip of samples over time.
    public static let stripLimit = 12

    public static func html(for run: RunHistory, written: Date = Date()) throws -> String {
        let config = run.config
        let name = baseName(of: run.directory.hasSuffix("/") ? String(run.directory.dropLast()) : run.directory)
        let model = config.options["model"]?.description ?? "?"
        var page = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <link rel="icon" href="data:,">
        <title>Gantry report: \(escapeHTML(name))</title>
        <style>\(style)</style>
        </head>
        <body>
        <main>
        <h1>Gantry run <code>\(escapeHTML(name))</code></h1>
        <p class="sub">\(escapeHTML(model)) on \(escapeHTML(config.dataset.name)) · \(config.worldSize) rank\(config.worldSize == 1 ? "" : "s") · \
        global batch \(config.globalBatch) · started \(escapeHTML(config.started)) on \(escapeHTML(config.host)) · \
        report written \(escapeHTML(written.formatted(.iso8601)))</p>

        """
        page += summary(run)
        page += "<h2>Training curves</h2>\n" + curves(run)
        page += "<h2>Samples</h2>\n" + (try samples(run))
        page += "<h2>Configuration</h2>\n" + configuration(config)
        page += "<h2>Resumptions</h2>\n" + resumptions(config)
        page += "</main>\n</body>\n</html>\n"
        return page
    }

    // MARK: - Summary

    private static func summary(_ run: RunHistory) -> String {
        var cards: [(String, String)] = [("step", "\(run.lastStep) of \(run.totalSteps)")]
        let newest: [(key: String, name: String)] = [("loss_d", "L_D"), ("loss_g", "L_G"), ("d_real", "D(x)"),
                                                     ("d_fake", "D(G(z))"), ("images_per_s", "images/s")]
        for (key, name) in newest {
            if let value = run.newest[key] { cards.append((name, key == "images_per_s" ? fixed(value, 0) : fixed(value, 3))) }
        }
        cards.append(("records", String(run.recordCount)))
        cards.append(("resumptions", String(run.resumptions.count)))
        return "<div class=\"cards\">"
            + cards.map { "<div class=\"card\"><div class=\"value\">\(escapeHTML($0.1))</div><div class=\"name\">\(escapeHTML($0.0))</div></div>" }.joined()
            + "</div>\n"
    }

    // MARK: - Curves

    private static func curves(_ run: RunHistory) -> String {
        let charts = ReportChart.charts(for: run.fieldNames)
        guard !charts.isEmpty else { return "<p class=\"empty\">metrics.jsonl holds no records yet.</p>\n" }
        let markers = run.resumptions.map {
            StepMarker(step: Double($0.step), note: "resumed at step \($0.step) on \($0.worldSize) rank\($0.worldSize == 1 ? "" : "s")"
                       + ($0.changed.isEmpty ? "" : ": " + flags($0.changed)))
        }
        var html = "<div class=\"plots\">\n"
        for chart in charts {
            let series = chart.lines.map { PlotSeries(label: $0.label, points: run.fields[$0.key] ?? []) }
            let plot = SVGPlot(series: series, yLabel: chart.yLabel, lastStep: Double(run.lastStep), markers: markers, yRange: chart.yRange)
            html += "<figure><figcaption>\(escapeHTML(chart.title))</figcaption>\n\(plot.svg())\n</figure>\n"
        }
        return html + "</div>\n"
    }

    // MARK: - Samples

    private static func samples(_ run: RunHistory) throws -> String {
        guard let newest = run.samples.last else { return "<p class=\"empty\">samples/ holds no pictures yet.</p>\n" }
        var html = "<div class=\"newest\">" + (try image(newest, displayWidth: 480)) + "</div>\n"
        let strip = thinned(run.samples, toAtMost: stripLimit)
        if strip.count > 1 {
            let shown = strip.count < run.samples.count ? " (\(strip.count) of \(run.samples.count))" : ""
            html += "<h3>Over time\(shown)</h3>\n<div class=\"strip\">\n"
            for sample in strip { html += try image(sample, displayWidth: 160) + "\n" }
            html += "</div>\n"
        }
        return html
    }

    /// A picture as a data: URI at `displayWidth` CSS pixels; small pictures (a grid of 28×28
    /// digits) are enlarged by whole pixels, so they stay sharp instead of blurred.
    private static func image(_ sample: SampleFile, displayWidth: Int) throws -> String {
        let bytes = try AtomicFile.read(sample.path)
        guard let size = pngSize(bytes) else { throw GantryError("\(sample.path) is not a PNG file") }
        let enlarge = size.width < displayWidth
        let width = enlarge ? size.width * max(1, Int((Double(displayWidth) / Double(size.width)).rounded())) : displayWidth
        let pixelated = enlarge ? " class=\"pixelated\"" : ""
        return "<figure class=\"sample\"><img\(pixelated) width=\"\(width)\" alt=\"samples at step \(sample.step)\" "
            + "src=\"data:image/png;base64,\(Data(bytes).base64EncodedString())\"><figcaption>step \(sample.step)</figcaption></figure>"
    }

    // MARK: - Configuration

    private static func configuration(_ config: RunConfig) -> String {
        var rows: [(String, String)] = [
            ("dataset", "\(config.dataset.name) (\(config.dataset.count) samples)"),
            ("world size", "\(config.worldSize) rank\(config.worldSize == 1 ? "" : "s")"),
            ("batch", "\(config.localBatch) per rank, \(config.globalBatch) global"),
            ("steps", String(config.totalSteps)),
            ("started", config.started),
            ("host", config.host),
        ]
        rows += config.versions.sorted { $0.key < $1.key }.map { ("\($0.key) version", $0.value) }
        rows.append(("command line", commandLine(config.arguments)))
        if let resumedFrom = config.resumedFrom { rows.append(("seeded from", resumedFrom)) }
        let options = config.options.sorted { $0.key < $1.key }.map { ("--" + $0.key.replacing("_", with: "-"), $0.value.description) }
        // The options side by side in three short tables rather than one long one.
        let perTable = max(1, (options.count + 2) / 3)
        let optionTables = stride(from: 0, to: options.count, by: perTable).map {
            table(["option", "value"], options[$0..<min($0 + perTable, options.count)].map { [$0.0, $0.1] }, codeColumns: [0, 1])
        }
        return table(["run", ""], rows.map { [$0.0, $0.1] }) + "<div class=\"tables\">\n" + optionTables.joined() + "</div>\n"
    }

    private static func resumptions(_ config: RunConfig) -> String {
        guard !config.resumes.isEmpty else { return "<p class=\"empty\">The run was never resumed.</p>\n" }
        let rows = config.resumes.map { resume in
            [String(resume.step), String(resume.worldSize), String(resume.globalBatch), String(resume.totalSteps),
             resume.changed.isEmpty ? "none" : flags(resume.changed), resume.time, commandLine(resume.arguments)]
        }
        return table(["at step", "ranks", "global batch", "steps", "changed flags", "time", "command line"], rows, codeColumns: [4, 6])
    }

    private static func table(_ header: [String], _ rows: [[String]], codeColumns: Set<Int> = []) -> String {
        var html = "<table>\n<tr>" + header.map { "<th>\(escapeHTML($0))</th>" }.joined() + "</tr>\n"
        for row in rows {
            html += "<tr>" + row.enumerated().map { column, text in
                codeColumns.contains(column) ? "<td><code>\(escapeHTML(text))</code></td>" : "<td>\(escapeHTML(text))</td>"
            }.joined() + "</tr>\n"
        }
        return html + "</table>\n"
    }

    /// Changed settings as the flags that changed them: `--steps=80 --lr-g=0.001`.
    private static func flags(_ changed: [String: String]) -> String {
        changed.sorted { $0.key < $1.key }.map { "--\($0.key.replacing("_", with: "-"))=\($0.value)" }.joined(separator: " ")
    }

    /// A command line as a shell would take it back: words with spaces or quotes in single quotes.
    private static func commandLine(_ arguments: [String]) -> String {
        let plain = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=./:,+@%")
        return arguments.map { word in
            !word.isEmpty && word.allSatisfy(plain.contains) ? word : "'" + word.replacing("'", with: "'\\''") + "'"
        }.joined(separator: " ")
    }

    // Generic font families only: a named web font would need the network.
    private static let style = """

    body { margin: 0; background: #f6f6f4; color: #222; font: 14px/1.45 system-ui, sans-serif; }
    main { max-width: 1240px; margin: 0 auto; padding: 12px 24px 48px; }
    h1 { font-size: 24px; margin: 12px 0 2px; }
    h2 { font-size: 18px; margin: 28px 0 10px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
    h3 { font-size: 15px; margin: 16px 0 8px; }
    code { font-family: ui-monospace, monospace; font-size: 12.5px; }
    h1 code { font-size: 22px; }
    .sub { color: #555; margin: 0; }
    .empty { color: #777; font-style: italic; }
    .cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 16px 0 0; }
    .card { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 6px 14px; min-width: 96px; }
    .card .value { font-size: 19px; font-weight: 600; }
    .card .name { font-size: 12px; color: #666; }
    .plots { display: grid; grid-template-columns: repeat(auto-fill, minmax(540px, 1fr)); gap: 14px; }
    .plots figure { margin: 0; background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 8px 10px 2px; }
    .plots figcaption { font-weight: 600; }
    svg.plot { display: block; width: 100%; height: auto; }
    figure.sample { display: inline-block; margin: 0; background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 6px; }
    figure.sample img { display: block; max-width: 100%; height: auto; }
    figure.sample figcaption { text-align: center; color: #555; font-size: 12px; }
    img.pixelated { image-rendering: pixelated; }
    .strip { display: flex; flex-wrap: wrap; gap: 8px; }
    .tables { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; margin-top: 16px; }
    table { border-collapse: collapse; background: #fff; }
    th, td { border: 1px solid #ddd; padding: 3px 10px; text-align: left; vertical-align: top; }
    th { background: #eee; }
    td code { white-space: pre-wrap; overflow-wrap: anywhere; }

    """
}
