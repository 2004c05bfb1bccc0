#!/usr/bin/env bash
# `npm run test:asan`: builds the addon with AddressSanitizer and UndefinedBehaviorSanitizer into
# build-asan/ (a separate node-gyp project over the same sources; build/ is left alone), then runs
# the native core's test files against it: node loads it through MLOPS_NATIVE_ADDON, with the ASan
# runtime preloaded (node itself is not instrumented, so leak checking is off). Any sanitizer report
# aborts the test process, which fails the run. Extra arguments go to vitest.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
dir=build-asan
mkdir -p "$dir"

# The same target as binding.gyp, sources and includes seen from build-asan/, sanitizer flags added.
node - "$dir/binding.gyp" <<'JS'
const fs = require("node:fs");
const out = process.argv[2];
const gyp = JSON.parse(fs.readFileSync("binding.gyp", "utf8").replace(/^\s*#.*$/gm, ""));
const t = gyp.targets[0];
const dirs = ["native/core", "native/core/engines", "native/addon"];
t.sources = dirs.flatMap((d) => fs.readdirSync(d).filter((f) => f.endsWith(".cc")).sort().map((f) => `../${d}/${f}`));
t.include_dirs = t.include_dirs.map((d) => (d === "native" ? "../native" : d));
const san = ["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined", "-fno-omit-frame-pointer", "-g", "-O1"];
t["cflags!"] = [...(t["cflags!"] ?? []), "-O3"];
t["cflags_cc!"] = [...(t["cflags_cc!"] ?? []), "-O3"];
t.cflags = [...(t.cflags ?? []).filter((f) => f !== "-O3"), ...san];
t.cflags_cc = [...(t.cflags_cc ?? []).filter((f) => f !== "-O3"), ...san];
t.ldflags = [...(t.ldflags ?? []), "-fsanitize=address,undefined"];
const text = JSON.stringify(gyp, null, 2);
if (!fs.existsSync(out) || fs.readFileSync(out, "utf8") !== text) fs.writeFileSync(out, text);
JS

addon="$root/$dir/build/Release/mlops_core.node"
# The node headers npm's own install of the addon uses (npm's nodedir setting), when it has one.
gyp_args=(--jobs 2)
nodedir=${npm_config_nodedir:-$(npm config get nodedir 2>/dev/null || true)}
case "$nodedir" in "" | undefined | null) ;; *) gyp_args+=(--nodedir "$nodedir") ;; esac
# node-gyp's make only rebuilds what changed, but its header tracking has missed a changed header
# (a stale object with an old struct layout), so any change to a header or to the target means a
# full rebuild; a change to a .cc file alone stays incremental.
stamp="$dir/build/inputs.sha256"
inputs=$(cat "$dir/binding.gyp" $(find native -name '*.h' | sort) | sha256sum | cut -d' ' -f1)
if [ -f "$dir/build/Makefile" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$inputs" ]; then
  (cd "$dir" && "$root/node_modules/.bin/node-gyp" build "${gyp_args[@]}" >/dev/null)
else
  (cd "$dir" && "$root/node_modules/.bin/node-gyp" rebuild "${gyp_args[@]}" >/dev/null)
  echo "$inputs" >"$stamp"
fi
# grep reads all of nm's output: with -q it stops at the first match, nm dies of SIGPIPE, and
# pipefail then reports an instrumented addon as not instrumented.
if ! nm -D "$addon" | grep __asan_ >/dev/null; then
  echo "test:asan: $addon is not instrumented" >&2
  exit 1
fi

libasan=$(${CC:-gcc} -print-file-name=libasan.so)
[ -f "$libasan" ] || { echo "test:asan: no libasan.so (install gcc's libasan, or clang's runtime)" >&2; exit 1; }
echo "test:asan: $addon with $libasan preloaded"
export MLOPS_NATIVE_ADDON="$addon"
export LD_PRELOAD="$libasan"
export ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
# Only the native core's tests: they are the ones that reach the addon's code.
exec "$root/node_modules/.bin/vitest" run test/core "$@"
