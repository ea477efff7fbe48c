import XCTest
@testable import GantryTrain

/// Reading this node's memory limit: sizes with suffixes, /proc/meminfo, cgroup v2's
/// memory.max ("max": no limit), Slurm's variables, the ranks per node, and the override.
final class MemoryLimitTests: XCTestCase {
    private let gibibyte = Double(1 << 30)

    func testSizesTakeSuffixesAndRefuseTheRest() {
        XCTAssertEqual(MemoryLimit.bytes("2G"), 2 * gibibyte)
        XCTAssertEqual(MemoryLimit.bytes("512m"), 512 * 1024 * 1024)
        XCTAssertEqual(MemoryLimit.bytes("1.5G"), 1.5 * gibibyte)
        XCTAssertEqual(MemoryLimit.bytes("64K"), 65_536)
        XCTAssertEqual(MemoryLimit.bytes("1048576\n"), 1_048_576)  // as memory.max spells it
        XCTAssertEqual(MemoryLimit.bytes("3GB"), 3 * gibibyte)
        for text in ["max", "", "G", "-1G", "2X", "lots", "nan", "inf"] {
            XCTAssertNil(MemoryLimit.bytes(text), text)
        }
    }

    func testMemAvailableIsReadInKilobytes() {
        let meminfo = "MemTotal:       24576000 kB\nMemFree:         1000000 kB\nMemAvailable:   20000000 kB\nBuffers: 1 kB\n"
        XCTAssertEqual(MemoryLimit.memAvailable(meminfo: meminfo), 20_000_000 * 1024)
        XCTAssertNil(MemoryLimit.memAvailable(meminfo: "MemTotal: 1 kB\n"))
    }

    func testCgroupLimitIsThisProcessesOwnOrNone() {
        XCTAssertEqual(MemoryLimit.cgroupPath("0::/user.slice/job.scope\n"), "/user.slice/job.scope")
        XCTAssertEqual(MemoryLimit.cgroupPath("12:memory:/x\n0::/\n"), "/")
        XCTAssertNil(MemoryLimit.cgroupPath("4:memory:/docker/abc\n"))  // cgroup v1 only

        let files = ["/proc/self/cgroup": "0::/slurm/job_7\n",
                     "/sys/fs/cgroup/slurm/job_7/memory.max": "4294967296\n",
                     "/sys/fs/cgroup/memory.max": "max\n"]
        XCTAssertEqual(MemoryLimit.cgroupMemoryMax { files[$0] }, 4 * gibibyte)
        // A container whose namespace shows "/": the root file; "max" there is no limit.
        XCTAssertNil(MemoryLimit.cgroupMemoryMax { ["/proc/self/cgroup": "0::/\n", "/sys/fs/cgroup/memory.max": "max\n"][$0] })
        XCTAssertEqual(MemoryLimit.cgroupMemoryMax { ["/sys/fs/cgroup/memory.max": "1073741824\n"][$0] }, gibibyte)
    }

    func testSlurmMemoryPerNodeOrPerCPU() {
        XCTAssertEqual(MemoryLimit.slurmBytes(environment: ["SLURM_MEM_PER_NODE": "8192"]), 8 * gibibyte)
        XCTAssertEqual(MemoryLimit.slurmBytes(environment: ["SLURM_MEM_PER_CPU": "1024", "SLURM_CPUS_ON_NODE": "4"]), 4 * gibibyte)
        XCTAssertEqual(MemoryLimit.slurmBytes(environment: ["SLURM_MEM_PER_CPU": "1024", "SLURM_JOB_CPUS_PER_NODE": "2(x3)"]), 2 * gibibyte)
        XCTAssertNil(MemoryLimit.slurmBytes(environment: [:]))
    }

    /// The smallest limit, shared by the ranks on this node; GANTRY_MEMORY_LIMIT overrides all.
    func testSmallestLimitIsSharedAmongTheNodesRanks() throws {
        let files = ["/proc/meminfo": "MemAvailable:   16777216 kB\n",  // 16 GiB
                     "/proc/self/cgroup": "0::/job\n", "/sys/fs/cgroup/job/memory.max": "8589934592\n"]  // 8 GiB
        let read: (String) -> String? = { files[$0] }
        let byCgroup = try MemoryLimit.current(worldSize: 8, environment: ["OMPI_COMM_WORLD_LOCAL_SIZE": "2"], readFile: read)
        XCTAssertEqual(byCgroup, MemoryLimit(bytesPerRank: 4 * gibibyte, source: "cgroup memory.max / 2 ranks"))
        let bySlurm = try MemoryLimit.current(worldSize: 4, environment: ["SLURM_MEM_PER_NODE": "2048"], readFile: read)
        XCTAssertEqual(bySlurm, MemoryLimit(bytesPerRank: gibibyte / 2, source: "Slurm's allocation / 4 ranks"))
        let bySlurmTasks = try MemoryLimit.current(worldSize: 4, environment: ["SLURM_NTASKS_PER_NODE": "1"], readFile: read)
        XCTAssertEqual(bySlurmTasks.bytesPerRank, 8 * gibibyte)
        let given = try MemoryLimit.current(worldSize: 4, environment: ["GANTRY_MEMORY_LIMIT": "300M"], readFile: read)
        XCTAssertEqual(given, MemoryLimit(bytesPerRank: 300 * 1024 * 1024, source: "GANTRY_MEMORY_LIMIT"))
        XCTAssertThrowsError(try MemoryLimit.current(worldSize: 1, environment: ["GANTRY_MEMORY_LIMIT": "lots"], readFile: read)) {
            XCTAssertEqual(($0 as? GantryError)?.exitCode, 64)
        }
        XCTAssertEqual(try MemoryLimit.current(worldSize: 1, environment: [:], readFile: { _ in nil }).bytesPerRank, .infinity)
    }
}
