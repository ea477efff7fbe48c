import FoundationEssentials
import Glibc
import GantryData

/// One TensorBoard event file in the run directory, `events.out.tfevents.<seconds>.<host>`:
/// TFRecords, each a serialised Event (TensorBoardEvent). Every start of training, first or
/// resumed, opens a new file, as TensorFlow's writers do; TensorBoard reads the files of a
/// directory in name order, which is the order they were started in.
///
/// Each record goes out in one write as soon as it is made, so TensorBoard shows a run live;
/// a failed write is rolled back (appendWhole), so the file never ends in half a record.
final class EventFile {
    let path: String
    private let fd: Int32

    /// Creates the file and writes its version record, then the session start at `firstStep`,
    /// the first step this start of training will train: TensorBoard then forgets what an
    /// interrupted run had logged from that step on, which metrics.jsonl forgets too.
    init(directory: String, firstStep: Int) throws {
        let wallTime = Self.wallTime()
        let name = "\(directory)/events.out.tfevents.\(Int(wallTime)).\(ProcessInfo.processInfo.hostName)"
        // Two starts within one second would share the name: the later one takes a suffix,
        // which still sorts after it.
        var candidate = name, fd: Int32 = -1
        for suffix in 1...1000 {
            fd = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o644)
            guard fd < 0 && errno == EEXIST else { break }
            candidate = "\(name).\(suffix)"
        }
        guard fd >= 0 else { throw systemError("cannot create the TensorBoard event file \(candidate)") }
        path = candidate
        self.fd = fd
        try append(TensorBoardEvent.fileVersion(wallTime: wallTime))
        try append(TensorBoardEvent.sessionStart(wallTime: wallTime, step: firstStep))
    }

    deinit { close(fd) }

    /// Scalars of one step, all in one record.
    func writeScalars(step: Int, _ values: [(tag: String, value: Double)]) throws {
        try append(TensorBoardEvent.scalars(wallTime: Self.wallTime(), step: step, values))
    }

    /// `picture`, whose encoding as PNG is `png`.
    func writeImage(tag: String, step: Int, picture: PNGImage, png: [UInt8]) throws {
        try append(TensorBoardEvent.image(wallTime: Self.wallTime(), step: step, tag: tag, png: png,
                                          width: picture.width, height: picture.height, channels: picture.channels))
    }

    /// UTF-8 text, shown by TensorBoard's text dashboard.
    func writeText(tag: String, step: Int, _ text: [UInt8]) throws {
        try append(TensorBoardEvent.text(wallTime: Self.wallTime(), step: step, tag: tag, text))
    }

    private func append(_ event: [UInt8]) throws {
        try appendWhole(fd, TFRecord.frame(event), path: path)
    }

    /// Seconds since 1970: TensorBoard's relative and wall-time axes use it.
    private static func wallTime() -> Double { Date().timeIntervalSince1970 }
}
