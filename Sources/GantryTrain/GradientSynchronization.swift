import GantryMPI
import GantryNN

/// How a network's gradients become the same on every rank: one in-place allreduce-sum of
/// its whole flat gradient buffer ("fused"). The trainer scales each rank's loss gradient by
/// 1/size beforehand, so the sum is the gradient of the loss averaged over the global batch,
/// without a second pass over the buffer.
public enum GradientSynchronization {
    public static func sum(_ gradients: UnsafeMutablePointer<Float>, count: Int, over communicator: Communicator) throws {
        try communicator.allreduce(gradients, count: count, op: .sum)
    }

    static func sum(_ gradients: FloatBuffer, over communicator: Communicator) throws {
        try sum(gradients.pointer, count: gradients.count, over: communicator)
    }
}
