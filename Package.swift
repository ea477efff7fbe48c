// swift-tools-version:6.0
import PackageDescription

// Gantry: data-parallel GAN training over MPI. One module per layer of the design:
// C libraries (CMPI, CBLAS, CPNG, CZlib) -> GantryMPI / GantryNN / GantryData -> GantryTrain -> gantry.
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

        // Half-precision conversions for gradient compression, in C so that they compile
        // to the CPU's conversion instructions.
        .target(name: "CHalf", cSettings: [.unsafeFlags(["-O3"])]),

        .target(name: "GantryMPI", dependencies: ["CMPI", "CHalf"]),
        .target(name: "GantryNN", dependencies: ["CBLAS"],
                swiftSettings: [.unsafeFlags(["-Ounchecked"])]),
        .target(name: "GantryData", dependencies: ["CPNG", "CZlib"]),
        .target(name: "GantryTrain", dependencies: ["GantryMPI", "GantryNN", "GantryData", "CZlib"]),
        .executableTarget(name: "gantry", dependencies: [
            "GantryTrain", "GantryMPI", "GantryNN",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "GantryNNTests", dependencies: ["GantryNN"]),
        .testTarget(name: "GantryDataTests", dependencies: ["GantryData"]),
        .testTarget(name: "GantryTrainTests", dependencies: ["GantryTrain", "GantryNN", "GantryData"]),
    ],
    swiftLanguageModes: [.v5]
)
