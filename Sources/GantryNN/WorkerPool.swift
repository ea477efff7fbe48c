import Glibc
import Synchronization

/// The threads of one rank (`gantry train --threads T`) and the one way layers use them:
/// `forEachPart(of:)`, a parallel for over `0..<count` cut into `threads` contiguous parts.
///
/// Every layer splits its own work explicitly in its forward and backward: convolutions over
/// the samples of the batch (each worker runs im2col, col2im and a
/// single-threaded sgemm on its samples' columns), BatchNorm over channels, activations and
/// Adam over values. Which part a worker gets depends only on `count` and `threads`, and a
/// worker that sums (a weight gradient over its samples) sums into its own buffer, added in
/// worker order afterwards: the results are the same bits for a given T on every run; only
/// the order of those weight-gradient sums changes with T.
///
/// The `threads − 1` helper threads are created once, with the pool; the caller's thread does
/// part 0. Between parts they spin briefly and then sleep on a condition variable, so a pass
/// costs no thread creation and no allocation. A pool of one thread runs the body inline.
public final class WorkerPool {
    /// The pool layers take when built (see `useThreads`): one thread unless set.
    public nonisolated(unsafe) private(set) static var shared = WorkerPool(threads: 1)

    /// Makes `shared` a pool of `count` threads (keeping the current one if it has as many).
    /// Layers keep the pool they were built with, so call this before building networks.
    public static func useThreads(_ count: Int) {
        if shared.threads != count { shared = WorkerPool(threads: count) }
    }

    public let threads: Int

    /// Bumped once per `forEachPart`; a helper runs the body when it sees it change.
    private let generation = Atomic<Int>(0)
    /// Helpers done with the current generation.
    private let finished = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    /// Helpers asleep on `wake` (guarded by `lock`).
    private var sleepers = 0
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var helpers: [pthread_t] = []
    /// The body of the current pass (its function and context, see CWorkerPool.h) and its
    /// `count`, read by the helpers.
    private let body = UnsafeMutableRawPointer.allocate(byteCount: 2 * MemoryLayout<Int>.size,
                                                        alignment: MemoryLayout<Int>.alignment)
    private var count = 0

    public init(threads: Int) {
        precondition(threads >= 1, "WorkerPool: threads must be at least 1 (got \(threads))")
        self.threads = threads
        pthread_mutex_init(lock, nil)
        pthread_cond_init(wake, nil)
        for worker in 1..<threads {
            let context = Unmanaged.passRetained(HelperContext(pool: self, worker: worker)).toOpaque()
            var thread = pthread_t()
            let status = pthread_create(&thread, nil, { raw in
                let context = Unmanaged<HelperContext>.fromOpaque(raw!).takeRetainedValue()
                context.pool.helperLoop(worker: context.worker)
                return nil
            }, context)
            precondition(status == 0, "WorkerPool: cannot start worker thread \(worker) (error \(status))")
            helpers.append(thread)
        }
    }

    deinit {
        stopping.store(true, ordering: .sequentiallyConsistent)
        generation.add(1, ordering: .sequentiallyConsistent)
        pthread_mutex_lock(lock)
        pthread_cond_broadcast(wake)
        pthread_mutex_unlock(lock)
        for thread in helpers { pthread_join(thread, nil) }
        pthread_cond_destroy(wake)
        pthread_mutex_destroy(lock)
        lock.deallocate()
        body.deallocate()
        wake.deallocate()
    }

    /// Part `worker` of `0..<count` cut into `threads` contiguous parts (sizes differ by at
    /// most one; parts are empty when `count < threads`).
    public func part(_ worker: Int, of count: Int) -> Range<Int> {
        (count * worker / threads)..<(count * (worker + 1) / threads)
    }

    /// The size of the largest part of `count` (what a per-worker buffer must hold).
    public func largestPart(of count: Int) -> Int { (count + threads - 1) / threads }

    /// Runs `body(part(w, of: count), w)` for every worker `w`, in parallel, and returns when
    /// all are done. Worker 0 is the calling thread. `body` must not call `forEachPart` itself.
    public func forEachPart(of count: Int, _ body: (Range<Int>, Int) -> Void) {
        guard threads > 1 else { return body(0..<count, 0) }
        runOnAllWorkers(count: count, body)
    }

    /// Hands `body` to the helpers, does part 0 and waits for theirs.
    private func runOnAllWorkers(count: Int, _ body: (Range<Int>, Int) -> Void) {
        storePartBody(self.body, body)
        self.count = count
        finished.store(0, ordering: .relaxed)
        generation.add(1, ordering: .releasing)
        pthread_mutex_lock(lock)
        if sleepers > 0 { pthread_cond_broadcast(wake) }
        pthread_mutex_unlock(lock)
        body(part(0, of: count), 0)
        var spins = 0
        while finished.load(ordering: .acquiring) < threads - 1 {
            spins += 1
            if spins > Self.spinsBeforeYield { sched_yield() }
        }
    }

    /// About 50 µs of spinning: longer than the gap between two parallel loops of one layer
    /// pass, far shorter than the serial stretches (allreduce, loss) where helpers should sleep.
    private static let spinsBeforeYield = 20_000

    private func helperLoop(worker: Int) {
        var seen = 0
        while true {
            var spins = 0
            while generation.load(ordering: .acquiring) == seen {
                spins += 1
                if spins > Self.spinsBeforeYield {
                    pthread_mutex_lock(lock)
                    sleepers += 1
                    while generation.load(ordering: .acquiring) == seen { pthread_cond_wait(wake, lock) }
                    sleepers -= 1
                    pthread_mutex_unlock(lock)
                }
            }
            seen = generation.load(ordering: .acquiring)
            if stopping.load(ordering: .acquiring) { return }
            callPartBody(body, part(worker, of: count), worker)
            finished.add(1, ordering: .releasing)
        }
    }
}

/// What a helper thread starts with.
private final class HelperContext {
    /// Not retained: the pool's deinit stops and joins its helpers.
    unowned(unsafe) let pool: WorkerPool
    let worker: Int
    init(pool: WorkerPool, worker: Int) {
        self.pool = pool
        self.worker = worker
    }
}

// The two functions of CWorkerPool.h, declared with the closure type they take.
@_silgen_name("gantry_part_body_store")
private func storePartBody(_ slot: UnsafeMutableRawPointer, _ body: (Range<Int>, Int) -> Void)
@_silgen_name("gantry_part_body_call")
private func callPartBody(_ slot: UnsafeRawPointer, _ part: Range<Int>, _ worker: Int)
