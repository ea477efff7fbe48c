import XCTest
import Foundation
import Glibc
@testable import GantryBench
import GantryTrain
import GantryMPI
import GantryNN

/// A training step allocates no heap memory: every buffer exists from the moment the model
/// is built (DESIGN.md, "Numerics conventions").
///
/// The test reads glibc's malloc statistics (mallinfo2) around training iterations run on a
/// fresh thread. A fresh thread starts with an empty tcache, glibc's per-thread cache of
/// freed small chunks, which mallinfo2 counts as in use: a chunk of up to 1032 bytes that the
/// step allocates and frees again stays visible as a rise of the in-use bytes. Anything kept
/// shows too, and so does anything that grows the heap (trimming is switched off). What it
/// cannot see is a block larger than 1032 bytes carved from free heap memory and given back
/// within the window; docs/performance.md shows how to count every malloc call with perf.
/// The test checks that the detector sees a small allocation in that same window, so that a
/// change of glibc's behaviour cannot make it pass vacuously.
///
/// The property holds for Gantry's own code (`--conv-backend gantry`). oneDNN, the default
/// convolution backend, allocates a few small blocks of bookkeeping in every call and frees
/// them before it returns (its C API builds a map of the call's arguments); the second test
/// checks that those never add up, so that a week-long run's heap stays the size it was after
/// its first steps.
final class NoAllocationTests: XCTestCase {
    /// Two of the configurations keep a moving average of G (`--g-ema-kimg`), updated every step.
    func testTrainingIterationsDoNotAllocate() throws {
        guard let heap = MallocStatistics() else {
            throw XCTSkip("glibc's mallinfo2 is not reachable here (needs x86-64 glibc ≥ 2.33)")
        }
        let communicator = try Communicator.initialize()
        // The R1 cases apply the penalty on every D step: its second-order pass is preallocated too.
        // "--g-ema-kimg 1" adds G's moving average, updated after every G step.
        // The case with threads also checks that the worker threads allocate nothing (mallinfo2
        // sums every thread's heap); it comes last, and the pool is set back to one thread.
        // At batch 64 each thread's GEMMs stay out of OpenBLAS 0.3.21's small-matrix kernels,
        // some of which allocate a 128 KB buffer per call (8 samples per thread would reach them).
        defer { WorkerPool.useThreads(1) }
        let r1 = ["--r1", "1", "--d-norm", "none"], ema = ["--g-ema-kimg", "1"], threads = ["--threads", "2"]
        for (model, batch, allreduce, extra) in [(ModelKind.dcgan28, 64, AllreduceMode.fused, []), (.dcgan28, 16, .bucketed, ema),
                                                 (.dcgan32, 16, .fused, []), (.mlp, 64, .bucketed, ema),
                                                 (.mlp, 64, .fused, r1), (.dcgan28, 16, .bucketed, r1 + ema),
                                                 (.dcgan28, 64, .fused, threads)] {
            let options = try TrainingOptions.parse(["--model", model.rawValue, "--batch", String(batch), "--steps", "2",
                                                     "--allreduce", allreduce.rawValue, "--bucket-mb", "0.5",
                                                     "--conv-backend", "gantry"] + extra)
            var configuration = StepBenchmark.Configuration(options: options, warmupSteps: 2)
            configuration.sgemmSize = 64
            configuration.sgemmRepetitions = 1
            let benchmark = try StepBenchmark(configuration, communicator: communicator)
            for _ in 0..<configuration.warmupSteps { _ = try benchmark.advance() }

            // mallinfo2 sums the heaps of all threads, and MPI's helper threads may allocate
            // now and then. An allocation in the step shows in every window (each on a fresh
            // thread), a stray one from another thread only by chance: one clean window of
            // three, whose detector saw the probe, settles it.
            var windows: [MallocStatistics.Window] = []
            for _ in 0..<3 {
                let window = try heap.measureOnFreshThread(probeBytes: 40) {
                    for _ in 0..<configuration.timedSteps { _ = try benchmark.advance() }
                }
                windows.append(window)
                if window.after == window.before && window.probeSeen { break }
            }
            XCTAssertTrue(windows.contains { $0.after == $0.before && $0.probeSeen },
                          "\(model.rawValue) batch \(batch) \(allreduce.rawValue) \(extra): the heap changed during \(configuration.timedSteps) training iterations, "
                          + "or the detector missed a deliberate 40-byte allocation, in every window:\n"
                          + windows.map { "  \($0) probe seen: \($0.probeSeen)" }.joined(separator: "\n"))
        }
    }
}

extension NoAllocationTests {
    /// With oneDNN (two threads, so that the workers' calls count too): the heap does not
    /// grow, and what oneDNN's calls leave in the thread's cache of freed blocks after 12
    /// steps is no more than after 2, give or take the stray blocks of MPI's helper threads.
    func testOneDNNStepsDoNotGrowTheHeap() throws {
        guard let heap = MallocStatistics() else {
            throw XCTSkip("glibc's mallinfo2 is not reachable here (needs x86-64 glibc ≥ 2.33)")
        }
        let communicator = try Communicator.initialize()
        defer { WorkerPool.useThreads(1) }
        let options = try TrainingOptions.parse(["--model", "dcgan28", "--batch", "64", "--steps", "2", "--threads", "2",
                                                 "--conv-backend", "onednn"])
        var configuration = StepBenchmark.Configuration(options: options, warmupSteps: 2)
        configuration.sgemmSize = 64
        configuration.sgemmRepetitions = 1
        let benchmark = try StepBenchmark(configuration, communicator: communicator)
        let convolutions = ConvolutionBackend.describe([benchmark.trainer.generator, benchmark.trainer.discriminator])
        guard convolutions.hasPrefix("oneDNN") else { throw XCTSkip("oneDNN has no fast kernels on this CPU: \(convolutions)") }
        for _ in 0..<configuration.warmupSteps { _ = try benchmark.advance() }

        func rise(steps: Int) throws -> (Int, MallocStatistics.Window) {
            let window = try heap.measureOnFreshThread(probeBytes: 40) {
                for _ in 0..<steps { _ = try benchmark.advance() }
            }
            XCTAssertEqual(window.after.arena, window.before.arena, "the heap grew in \(steps) steps: \(window)")
            XCTAssertEqual(window.after.hblkhd, window.before.hblkhd, "mmapped memory changed in \(steps) steps: \(window)")
            return (window.after.uordblks - window.before.uordblks, window)
        }
        let (short, shortWindow) = try rise(steps: 2), (long, longWindow) = try rise(steps: 12)
        XCTAssertLessThanOrEqual(long, short + 16_384, "oneDNN's blocks add up over steps:\n  2 steps: \(shortWindow)\n  12 steps: \(longWindow)")
    }
}

/// glibc's `mallinfo2()`, found at run time: Glibc's Swift module does not import
/// <malloc.h>. It returns a 10-word struct, which the x86-64 C calling convention returns
/// through a hidden pointer passed as the first argument; other architectures differ, so
/// the statistics are only read on x86-64.
struct MallocStatistics {
    /// The fields of struct mallinfo2, in order.
    struct Snapshot: Equatable, CustomStringConvertible {
        var arena = 0, ordblks = 0, smblks = 0, hblks = 0, hblkhd = 0
        var usmblks = 0, fsmblks = 0, uordblks = 0, fordblks = 0, keepcost = 0
        var description: String {
            "arena \(arena) in-use \(uordblks) free \(fordblks) (\(ordblks) chunks) mmapped \(hblkhd) (\(hblks))"
        }
    }

    /// What a measured window saw.
    struct Window: CustomStringConvertible {
        var before = Snapshot(), after = Snapshot()
        var probeSeen = false
        var description: String { "before: \(before); after: \(after)" }
    }

    private typealias Read = @convention(c) (UnsafeMutableRawPointer) -> UnsafeMutableRawPointer
    private typealias Option = @convention(c) (Int32, Int32) -> Int32
    private let read: Read
    private let option: Option

    init?() {
        #if arch(x86_64)
        guard let process = dlopen(nil, RTLD_NOW),
              let read = dlsym(process, "mallinfo2"), let option = dlsym(process, "mallopt") else { return nil }
        self.read = unsafeBitCast(read, to: Read.self)
        self.option = unsafeBitCast(option, to: Option.self)
        #else
        return nil
        #endif
    }

    func snapshot() -> Snapshot {
        var fields = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &fields) { _ = read($0.baseAddress!) }
        return Snapshot(arena: fields.0, ordblks: fields.1, smblks: fields.2, hblks: fields.3, hblkhd: fields.4,
                        usmblks: fields.5, fsmblks: fields.6, uordblks: fields.7, fordblks: fields.8, keepcost: fields.9)
    }

    /// Runs `body` on a new thread between two snapshots, then allocates and frees
    /// `probeBytes` and reports whether the in-use bytes rose over that. Heap trimming and the
    /// top pad are switched off first, so that a freed block cannot hide by shrinking the
    /// heap back. The thread is a bare pthread: Foundation's threads allocate and free on
    /// their own at start, which would leave chunks in the thread's cache.
    func measureOnFreshThread(probeBytes: Int, _ body: @escaping () throws -> Void) throws -> Window {
        _ = option(-1, Int32.max)  // M_TRIM_THRESHOLD: never give memory back
        _ = option(-2, 0)          // M_TOP_PAD: grow the heap by what is asked, no more
        let run = Run(heap: self, probeBytes: probeBytes, body: body)
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { context in
            let run = Unmanaged<Run>.fromOpaque(context!).takeUnretainedValue()
            // The thread's cache is set up on its first allocation. (The blocks go through
            // `run.block`, a property of a shared object, so that the compiler cannot drop a
            // malloc-free pair it sees as unused.)
            run.block = malloc(1)
            free(run.block)
            run.window.before = run.heap.snapshot()
            do { try run.body() } catch { run.failure = error }
            run.window.after = run.heap.snapshot()
            run.block = malloc(run.probeBytes)
            free(run.block)
            run.window.probeSeen = run.heap.snapshot().uordblks > run.window.after.uordblks
            return nil
        }, Unmanaged.passUnretained(run).toOpaque())
        guard started == 0 else { throw POSIXError(POSIXErrorCode(rawValue: started) ?? .EAGAIN) }
        pthread_join(thread, nil)
        if let failure = run.failure { throw failure }
        return run.window
    }

    /// What the measuring thread needs and reports.
    private final class Run {
        let heap: MallocStatistics
        let probeBytes: Int
        let body: () throws -> Void
        var window = Window()
        var failure: Error?
        var block: UnsafeMutableRawPointer?

        init(heap: MallocStatistics, probeBytes: Int, body: @escaping () throws -> Void) {
            self.heap = heap
            self.probeBytes = probeBytes
            self.body = body
        }
    }
}
