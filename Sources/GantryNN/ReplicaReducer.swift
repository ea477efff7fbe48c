/// Sums small arrays over the replicas of a data-parallel job. BatchNorm uses it to become a
/// SyncBatchNorm: its per-channel sums are then those of the global batch. GantryNN knows
/// nothing of MPI; the trainer passes its communicator in.
public protocol ReplicaReducer: AnyObject {
    /// How many replicas take part (each with the same local batch size).
    var replicaCount: Int { get }
    /// Replaces `values` by their sums over all replicas. A failure ends the job: it is a
    /// collective inside forward or backward, where no error can be handed back.
    func sumOverReplicas(_ values: UnsafeMutablePointer<Double>, count: Int)
}
