import GantryMPI
import GantryNN

/// The communicator sums BatchNorm's per-channel statistics over the ranks (SyncBatchNorm).
extension Communicator: ReplicaReducer {
    public var replicaCount: Int { size }

    public func sumOverReplicas(_ values: UnsafeMutablePointer<Double>, count: Int) {
        do {
            try allreduce(values, count: count, op: .sum)
        } catch {
            Job.report(error, rank: rank)
            abort(code: 1)
        }
    }
}

extension Network {
    /// Makes every BatchNorm layer synchronise its batch statistics through `reducer`.
    func synchronizeBatchNorm(through reducer: ReplicaReducer) {
        for case let batchNorm as BatchNorm in layers { batchNorm.replicaReducer = reducer }
    }
}
