import Glibc

/// A thread that runs one step's numbered jobs 0, 1, 2, … in order, each as soon as the
/// training thread posts it: the gradient buckets of `--overlap thread`, reduced by
/// blocking allreduces while backward goes on computing the earlier layers.
///
/// One mutex guards the two counters; the thread sleeps on a condition variable while it
/// has nothing to do (it burns no CPU between steps), and the training thread sleeps on
/// another while it waits for the last job. Nothing is allocated per step.
final class CommunicationThread {
    private let job: (Int) throws -> Void
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let workPosted = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let workCompleted = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var thread = pthread_t()
    // Guarded by `mutex`.
    private var postedCount = 0
    private var completedCount = 0
    private var failure: Error?
    private var stopping = false

    /// Starts the thread; `job(i)` runs on it for the i-th posted job of each step.
    init(job: @escaping (Int) throws -> Void) {
        self.job = job
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(workPosted, nil)
        pthread_cond_init(workCompleted, nil)
        // The thread borrows `self`: deinit joins it before the object goes away.
        let created = pthread_create(&thread, nil, { context in
            Unmanaged<CommunicationThread>.fromOpaque(context!).takeUnretainedValue().serve()
            return nil
        }, Unmanaged.passUnretained(self).toOpaque())
        precondition(created == 0, "pthread_create failed: \(String(cString: strerror(created)))")
    }

    deinit {
        pthread_mutex_lock(mutex)
        stopping = true
        pthread_cond_signal(workPosted)
        pthread_mutex_unlock(mutex)
        pthread_join(thread, nil)
        pthread_cond_destroy(workPosted)
        pthread_cond_destroy(workCompleted)
        pthread_mutex_destroy(mutex)
        for pointer in [workPosted, workCompleted] as [UnsafeMutablePointer<pthread_cond_t>] { pointer.deallocate() }
        mutex.deallocate()
    }

    /// Starts a new step: job numbers begin at 0 again. The thread must be idle.
    func reset() {
        pthread_mutex_lock(mutex)
        precondition(completedCount == postedCount, "CommunicationThread.reset while jobs are running")
        postedCount = 0
        completedCount = 0
        failure = nil
        pthread_mutex_unlock(mutex)
    }

    /// Hands the next job to the thread.
    func post() {
        pthread_mutex_lock(mutex)
        postedCount += 1
        pthread_cond_signal(workPosted)
        pthread_mutex_unlock(mutex)
    }

    /// Waits until every posted job has run; rethrows the first error of this step.
    func waitForAll() throws {
        pthread_mutex_lock(mutex)
        while completedCount < postedCount { pthread_cond_wait(workCompleted, mutex) }
        let failure = self.failure
        pthread_mutex_unlock(mutex)
        if let failure { throw failure }
    }

    /// The thread's loop. After a job failed, the rest of the step's jobs are skipped, not
    /// run: the training thread reports the error and ends the job.
    private func serve() {
        pthread_mutex_lock(mutex)
        while true {
            while completedCount == postedCount && !stopping { pthread_cond_wait(workPosted, mutex) }
            if stopping { break }
            let index = completedCount, skip = failure != nil
            pthread_mutex_unlock(mutex)
            var error: Error?
            if !skip {
                do { try job(index) } catch let thrown { error = thrown }
            }
            pthread_mutex_lock(mutex)
            if let error, failure == nil { failure = error }
            completedCount += 1
            pthread_cond_signal(workCompleted)
        }
        pthread_mutex_unlock(mutex)
    }
}
