#!/usr/bin/env bash
# Builds swift/EnducoFFI.xcframework, the Rust core for Apple platforms, which Package.swift
# uses on macOS/iOS. Run on a Mac with Xcode and rustup:
#
#   swift/build-xcframework.sh            # release static libraries (PROFILE=dev for debug)
#
# Steps: generate the Swift bindings from a host debug build (it carries UniFFI's metadata),
# build a static library per target, merge simulator and macOS architectures with lipo, and
# wrap them with the C header and module.modulemap into an XCFramework.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
profile=${PROFILE:-release}
out=$([[ $profile == dev ]] && echo debug || echo "$profile")
targets=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios aarch64-apple-darwin x86_64-apple-darwin)

# 1. Bindings: Sources/Enduco/Generated/Enduco.swift and Sources/EnducoFFI/*.
cargo build -p enduco-ffi
bindings/generate swift

# 2. One static library per target.
rustup target add "${targets[@]}"
for t in "${targets[@]}"; do
  cargo rustc -p enduco-ffi --lib --crate-type staticlib --profile "$profile" --target "$t"
done
lib() { echo "target/$1/$out/libenduco_ffi.a"; }

# 3. One library per platform.
work=target/xcframework
rm -rf "$work" swift/EnducoFFI.xcframework
mkdir -p "$work/ios-sim" "$work/macos" "$work/Headers"
lipo -create "$(lib aarch64-apple-ios-sim)" "$(lib x86_64-apple-ios)" -output "$work/ios-sim/libenduco_ffi.a"
lipo -create "$(lib aarch64-apple-darwin)" "$(lib x86_64-apple-darwin)" -output "$work/macos/libenduco_ffi.a"
cp swift/Sources/EnducoFFI/EnducoFFI.h swift/Sources/EnducoFFI/module.modulemap "$work/Headers/"

# 4. The XCFramework.
xcodebuild -create-xcframework \
  -library "$(lib aarch64-apple-ios)" -headers "$work/Headers" \
  -library "$work/ios-sim/libenduco_ffi.a" -headers "$work/Headers" \
  -library "$work/macos/libenduco_ffi.a" -headers "$work/Headers" \
  -output swift/EnducoFFI.xcframework
echo "swift/EnducoFFI.xcframework is ready; add the swift/ package to your Xcode project."
