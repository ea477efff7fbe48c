/// Scratch memory that networks share: the workspace their layers use inside one forward or
/// backward call (im2col columns), and the two buffers backward passes ping-pong gradients
/// through.
///
/// None of it holds anything between calls that a later call of another network needs, so
/// the networks of one rank — G, D, a sampling copy of G — can share one `ScratchSpace`
/// and hold the largest need once instead of once per network. By default every network
/// uses `ScratchSpace.shared`. Networks sharing a space must be used from one thread at a
/// time, and the input gradient a `Network.backward` returns lives in the space: it stays
/// valid until the next backward pass of any network sharing it (a backward pass reading it
/// as its output gradient is fine).
///
/// The space grows when a network that needs more is built, never during a training step.
/// Growing moves the memory; networks notice (`generation`) and rebind their layers before
/// their next pass.
public final class ScratchSpace {
    /// The space networks use unless given another.
    public static let shared = ScratchSpace()

    private var workspace = FloatBuffer(count: 0)
    private var gradients = [FloatBuffer(count: 0), FloatBuffer(count: 0)]
    /// Changes whenever the workspace moves.
    public private(set) var generation = 0

    public init() {}

    /// Makes room for a network whose layers need `workspace` floats of workspace and whose
    /// backward passes need `gradient` floats per ping-pong buffer.
    public func reserve(workspace workspaceCount: Int, gradient gradientCount: Int) {
        if workspaceCount > workspace.count {
            workspace = FloatBuffer(count: workspaceCount)
            generation += 1
        }
        if gradientCount > gradients[0].count {
            gradients = [FloatBuffer(count: gradientCount), FloatBuffer(count: gradientCount)]
        }
    }

    /// The shared workspace (valid until the space grows).
    public var workspacePointer: UnsafeMutablePointer<Float> { workspace.pointer }

    /// The ping-pong buffer a backward step writes to when its output gradient is `gradient`:
    /// the first one, unless `gradient` lies in it.
    func gradientBuffer(avoiding gradient: UnsafePointer<Float>) -> UnsafeMutablePointer<Float> {
        let first = gradients[0]
        let start = UnsafePointer(first.pointer)
        return gradient >= start && gradient < start + max(first.count, 1) ? gradients[1].pointer : first.pointer
    }

    /// Floats held: the workspace and both gradient buffers.
    public var allocatedFloats: Int { workspace.count + 2 * gradients[0].count }
}
