// swift-tools-version:6.0
//
// The enduco SDK for Swift: UniFFI bindings of the Rust core plus a small Swift layer.
//
// - Apple platforms: links EnducoFFI.xcframework, made by ./build-xcframework.sh (on a Mac).
// - Linux: links the cdylib `cargo build -p enduco-ffi` leaves in ../target/debug (or the
//   folder in ENDUCO_RUST_LIB_DIR). The tests run it this way (see run-tests).
//
// Sources/Enduco/Generated and Sources/EnducoFFI/{EnducoFFI.h,module.modulemap} are generated
// by `../bindings/generate swift` and never edited by hand.
import Foundation
import PackageDescription

let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()

#if os(Linux)
let rustLibDir = ProcessInfo.processInfo.environment["ENDUCO_RUST_LIB_DIR"]
    ?? here.appendingPathComponent("../target/debug").standardizedFileURL.path
let ffi: Target = .systemLibrary(name: "EnducoFFI", path: "Sources/EnducoFFI")
let linkRust: [LinkerSetting] = [
    .linkedLibrary("enduco_ffi"),
    .unsafeFlags(["-L", rustLibDir, "-Xlinker", "-rpath", "-Xlinker", rustLibDir]),
]
#else
let ffi: Target = .binaryTarget(name: "EnducoFFI", path: "EnducoFFI.xcframework")
// What the Rust HTTP stack (reqwest, rustls' platform certificate verifier) links on Apple OSes.
let linkRust: [LinkerSetting] = [
    .linkedFramework("Security"),
    .linkedFramework("SystemConfiguration"),
    .linkedFramework("CoreFoundation"),
]
#endif

let package = Package(
    name: "Enduco",
    platforms: [.iOS(.v15), .macOS(.v12), .watchOS(.v8), .tvOS(.v15)],
    products: [
        .library(name: "Enduco", targets: ["Enduco"]),
    ],
    targets: [
        ffi,
        .target(
            name: "Enduco",
            dependencies: ["EnducoFFI"],
            path: "Sources/Enduco",
            // Swift 6.0.3's region-isolation pass crashes on UniFFI's generic async callback
            // helper; the module builds in Swift 5 mode and is used from Swift 6 apps (the
            // tests below are Swift 6).
            swiftSettings: [.swiftLanguageMode(.v5)],
            linkerSettings: linkRust
        ),
        .testTarget(
            name: "EnducoTests",
            dependencies: ["Enduco"],
            path: "Tests/EnducoTests"
        ),
    ]
)
