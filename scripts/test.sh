#!/usr/bin/env bash
# Installs what is missing, builds everything and runs every test:
#   1. normal build + ctest            2. AddressSanitizer/UBSan build + ctest
#   3. install, then build and run the README's embedder example against the installed library
#   4. libFuzzer targets, each for a bounded time
# Build trees: build/, build-asan/, build-fuzz/, _install/ (all ignored by git).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
JOBS=$(nproc 2>/dev/null || echo 2)
FUZZ_SECONDS=${FUZZ_SECONDS:-15}

stage() { printf '\n=== %s ===\n' "$*"; }

stage "dependencies"
bash scripts/setup-deps.sh all

stage "build and unit/integration tests"
# Every part on, explicitly: build/ may have been configured by scripts/demo.sh with only the two tools.
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX="$ROOT/_install" \
  -DSYNC_BUILD_TESTS=ON -DSYNC_BUILD_TOOLS=ON -DSYNC_BUILD_SERVER=ON -DSYNC_BUILD_APP=ON -DSYNC_BUILD_BENCH=ON >/dev/null
cmake --build build -j"$JOBS"
(cd build && ctest --output-on-failure -j"$JOBS")

stage "AddressSanitizer + UBSan build and tests"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSYNC_SANITIZE=ON -DSYNC_BUILD_BENCH=OFF >/dev/null
cmake --build build-asan -j"$JOBS"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
   ctest --output-on-failure -j"$JOBS")

stage "install + embedder example against the installed library (pkg-config, then find_package)"
rm -rf _install
cmake --install build >/dev/null
EX=$(mktemp -d)
export STORE_PASSPHRASE="embedder example passphrase"
awk '/<!-- embedder-example -->/{f=1;next} f&&/^```c/{g=1;next} g&&/^```/{exit} g' README.md > "$EX/embed.c"
[[ -s "$EX/embed.c" ]] || { echo "README embedder example not found" >&2; exit 1; }
export PKG_CONFIG_PATH="$ROOT/_install/lib/pkgconfig:$ROOT/_install/lib/x86_64-linux-gnu/pkgconfig"
cc -std=c11 -Wall -Werror -o "$EX/embed" "$EX/embed.c" $(pkg-config --cflags --libs libsync)
LD_LIBRARY_PATH="$(pkg-config --variable=libdir libsync)" "$EX/embed" "$EX/store.db" \
  "$ROOT/_install/share/libsync/forms/tppo_screening.v1.json"
# The same example through the exported CMake package: find_package(libsync).
cat > "$EX/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(embed C)
find_package(libsync 0.1 REQUIRED)
add_executable(embed embed.c)
target_link_libraries(embed PRIVATE libsync::sync)
CMAKE
cmake -S "$EX" -B "$EX/build" -DCMAKE_PREFIX_PATH="$ROOT/_install" >/dev/null
cmake --build "$EX/build" >/dev/null
"$EX/build/embed" "$EX/store2.db" "$ROOT/_install/share/libsync/forms/tppo_screening.v1.json"
rm -rf "$EX"

stage "fuzz targets (${FUZZ_SECONDS}s each)"
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSYNC_BUILD_FUZZ=ON \
  -DSYNC_BUILD_TESTS=OFF -DSYNC_BUILD_TOOLS=OFF -DSYNC_BUILD_BENCH=OFF -DSYNC_BUILD_SERVER=ON -DSYNC_FUZZ_SECONDS="$FUZZ_SECONDS" >/dev/null
cmake --build build-fuzz -j"$JOBS"
(cd build-fuzz && ctest --output-on-failure -L fuzz)

echo
echo "all test stages passed"
