/// The Event messages Gantry writes, serialised. The field numbers are those of
/// TensorBoard's own protos (tensorboard/compat/proto: event.proto, summary.proto,
/// tensor.proto, tensor_shape.proto, types.proto), checked against the descriptors of
/// tensorboard 2.21; DESIGN.md's "TensorBoard event files" describes the format. Fields
/// go out in field-number order, as protobuf's own serialisers write them, so the bytes
/// can be compared with theirs (TensorBoardEventFileTests).
enum TensorBoardEvent {
    private enum Event {
        static let wallTime = 1    // double, seconds since 1970
        static let step = 2        // int64
        static let fileVersion = 3 // string
        static let summary = 5     // Summary
        static let sessionLog = 7  // SessionLog (6 is log_message)
    }
    private enum SessionLog {
        static let status = 1      // enum SessionStatus
        static let start = 1       // SessionStatus.START
    }
    private enum Summary {
        static let value = 1       // repeated Value
    }
    private enum Value {
        static let tag = 1         // string
        static let simpleValue = 2 // float
        static let image = 4       // Image
        static let tensor = 8      // TensorProto
        static let metadata = 9    // SummaryMetadata
    }
    private enum Image {
        static let height = 1, width = 2, colorspace = 3, encodedImageString = 4
    }
    private enum SummaryMetadata {
        static let pluginData = 1  // PluginData { plugin_name = 1 }
        static let pluginName = 1
    }
    private enum TensorProto {
        static let dtype = 1       // enum DataType
        static let tensorShape = 2 // TensorShapeProto; empty = a scalar
        static let stringValue = 8 // repeated bytes
        static let dtString = 7    // DataType.DT_STRING
    }

    /// The first record of every file: readers check the version before anything else.
    static func fileVersion(wallTime: Double) -> [UInt8] {
        var event = ProtobufMessage()
        event.double(Event.wallTime, wallTime)
        event.string(Event.fileVersion, "brain.Event:2")
        return event.bytes
    }

    /// A (re)start of training at `step`: TensorBoard drops what earlier files recorded at
    /// this step or later, the steps an interrupted run trained past its checkpoint.
    static func sessionStart(wallTime: Double, step: Int) -> [UInt8] {
        event(wallTime: wallTime, step: step) { event in
            event.message(Event.sessionLog) { $0.varint(SessionLog.status, Int64(SessionLog.start)) }
        }
    }

    /// Scalars of one step, one Summary.Value each.
    static func scalars(wallTime: Double, step: Int, _ values: [(tag: String, value: Double)]) -> [UInt8] {
        summary(wallTime: wallTime, step: step) { summary in
            for (tag, value) in values {
                summary.message(Summary.value) { entry in
                    entry.string(Value.tag, tag)
                    entry.float(Value.simpleValue, Float(value))
                }
            }
        }
    }

    /// An encoded picture; `channels` is the Image colorspace (1 gray, 3 RGB, 4 RGBA).
    static func image(wallTime: Double, step: Int, tag: String, png: [UInt8], width: Int, height: Int, channels: Int) -> [UInt8] {
        summary(wallTime: wallTime, step: step) { summary in
            summary.message(Summary.value) { entry in
                entry.string(Value.tag, tag)
                entry.message(Value.image) { image in
                    image.varint(Image.height, Int64(height))
                    image.varint(Image.width, Int64(width))
                    image.varint(Image.colorspace, Int64(channels))
                    image.bytes(Image.encodedImageString, png)
                }
            }
        }
    }

    /// Text in the form of TensorBoard's text plugin: a scalar string tensor whose metadata
    /// names the plugin (the dashboard renders it as Markdown).
    static func text(wallTime: Double, step: Int, tag: String, _ text: [UInt8]) -> [UInt8] {
        summary(wallTime: wallTime, step: step) { summary in
            summary.message(Summary.value) { entry in
                entry.string(Value.tag, tag)
                entry.message(Value.tensor) { tensor in
                    tensor.varint(TensorProto.dtype, Int64(TensorProto.dtString))
                    tensor.message(TensorProto.tensorShape) { _ in }
                    tensor.bytes(TensorProto.stringValue, text)
                }
                entry.message(Value.metadata) { metadata in
                    metadata.message(SummaryMetadata.pluginData) { $0.string(SummaryMetadata.pluginName, "text") }
                }
            }
        }
    }

    private static func event(wallTime: Double, step: Int, _ body: (inout ProtobufMessage) -> Void) -> [UInt8] {
        var event = ProtobufMessage()
        event.double(Event.wallTime, wallTime)
        event.varint(Event.step, Int64(step))
        body(&event)
        return event.bytes
    }

    private static func summary(wallTime: Double, step: Int, _ values: (inout ProtobufMessage) -> Void) -> [UInt8] {
        event(wallTime: wallTime, step: step) { $0.message(Event.summary, values) }
    }
}
