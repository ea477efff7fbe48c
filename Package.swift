// swift-tools-version:6.0
import PackageDescription

// Gantry: data-parallel GAN training over MPI. One module per layer of the design:
// C libraries (CMPI, CBLAS, CPNG, CZlib, CJPEG, CHalf, CPUInfo, CJPEGCodec, COneDNN) -> GantryMPI / GantryNN / GantryData -> GantryTrain
// -> GantryBench -> gantry (docs/architecture.md).
let package = Package(
    name: "Gantry",
    products: [
        .executable(name: "gantry", targets: ["gantry"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(name: "CMPI", pkgConfig: "ompi", providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg62-turbo-dev"])]),
        // libjpeg's errors longjmp; this C target catches them with setjmp (which Swift cannot
        // use) and returns a message instead.
        .target(name: "CJPEGCodec", dependencies: ["CJPEG"]),

        // Half-precision conversions for gradient compression, in C so that they compile
        // to the CPU's conversion instructions.
        .target(name: "CHalf", cSettings: [.unsafeFlags(["-O3"])]),
        // The CPU's vector features (cpuid, xgetbv) and the multiply-add loop that measures a
        // core's peak, in C for the intrinsics of each instruction set.
        .target(name: "CPUInfo", cSettings: [.unsafeFlags(["-O3"])]),

        // oneDNN's convolutions behind a small C interface (its C API is descriptors, primitives
        // and memory objects; the glue keeps them out of the layers). Debian's libdnnl runs on
        // libgomp.
        .target(name: "COneDNN", cSettings: [.unsafeFlags(["-O2"])],
                linkerSettings: [.linkedLibrary("dnnl"), .linkedLibrary("gomp")]),

        // How WorkerPool's helper threads call a parallel loop's non-escaping closure without
        // a heap copy (see its header).
        .target(name: "CWorkerPool"),

        .target(name: "GantryMPI", dependencies: ["CMPI", "CHalf"]),
        .target(name: "GantryNN", dependencies: ["CBLAS", "CPUInfo", "CWorkerPool", "COneDNN"],
                swiftSettings: [.unsafeFlags(["-Ounchecked"])]),
        .target(name: "GantryData", dependencies: ["CPNG", "CZlib", "CJPEGCodec"]),
        // The training options are argument-parser declarations (TrainingOptions), so that
        // each is declared once for the command line, config.json and checkpoints alike.
        .target(name: "GantryTrain", dependencies: [
            "GantryMPI", "GantryNN", "GantryData", "CZlib",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // The measurements of `gantry bench`: they drive the trainer, they are not part of it.
        .target(name: "GantryBench", dependencies: ["GantryTrain", "GantryMPI", "GantryNN", "GantryData"]),
        .executableTarget(name: "gantry", dependencies: [
            "GantryTrain", "GantryBench", "GantryMPI", "GantryNN", "GantryData",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // In-process tests, the fast loop (`launch/test.sh --fast`)...
        .testTarget(name: "GantryNNTests", dependencies: ["GantryNN"]),
        .testTarget(name: "GantryDataTests", dependencies: ["GantryData"]),
        .testTarget(name: "GantryTrainTests", dependencies: [
            "GantryTrain", "GantryNN", "GantryData", "GantryMPI",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "GantryBenchTests", dependencies: ["GantryBench", "GantryTrain", "GantryMPI"]),
        // ...and everything that starts the binary, mpirun or a script.
        .testTarget(name: "GantryEndToEndTests", dependencies: ["GantryTrain", "GantryData"]),
    ],
    swiftLanguageModes: [.v5]
)
