#!/usr/bin/env bash
# Builds the libFuzzer harnesses of native/fuzz/ with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer into build-fuzz/ (ignored by git). Needs Debian's clang and
# libclang-rt-dev (scripts/install-test-deps.sh). Usage: scripts/build-fuzzers.sh [name...]
set -euo pipefail
cd "$(dirname "$0")/.."
out=build-fuzz
mkdir -p "$out/obj"
CXX=${CXX:-clang++}
flags=(-std=c++17 -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined
  -fno-sanitize-recover=undefined -Inative -fvisibility=hidden)
# The core without the addon: every translation unit of native/core and its engines.
objs=()
for src in native/core/*.cc native/core/engines/*.cc; do
  obj="$out/obj/$(echo "${src#native/}" | tr / -).o"
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ -n "$(find native/core -name '*.h' -newer "$obj" -print -quit)" ]; then
    "$CXX" "${flags[@]}" -c "$src" -o "$obj"
  fi
  objs+=("$obj")
done
names=("$@")
[ ${#names[@]} -eq 0 ] && names=($(cd native/fuzz && ls *-fuzzer.cc | sed 's/-fuzzer\.cc$//'))
for name in "${names[@]}"; do
  "$CXX" "${flags[@]/fuzzer-no-link/fuzzer}" "native/fuzz/$name-fuzzer.cc" "${objs[@]}" -pthread -o "$out/$name-fuzzer"
  echo "$out/$name-fuzzer"
done
