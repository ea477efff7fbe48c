/// One point of a plotted series: a value at a step.
public struct PlotPoint: Equatable {
    public var x: Double
    public var y: Double

    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}

/// One line of a plot: its legend label and its points, in order of x.
public struct PlotSeries {
    public var label: String
    public var points: [PlotPoint]

    public init(label: String, points: [PlotPoint]) {
        self.label = label
        self.points = points
    }
}

/// A vertical line across a plot at a step, with the text a hover shows (a resumption).
public struct StepMarker {
    public var step: Double
    public var note: String

    public init(step: Double, note: String) {
        self.step = step
        self.note = note
    }
}
