#!/usr/bin/env bash
# Installs the system tools the test suite drives for real, from Debian's packages, when missing:
# prometheus + promtool (monitoring e2e), docker-compose (compose file check), h2load (gRPC load),
# python3-grpcio (an independent gRPC C-core client), python3-xgboost (XGBoost's own predictor
# beside ours in the core bench, and the XGBoost import fixtures), python3-sklearn and python3-onnx
# (the scikit-learn → ONNX import fixtures; test/models/fixtures.test.ts re-runs the scripts),
# chromium (the /docs and /redoc pages, driven by playwright-core), clang + libclang-rt-dev
# (libFuzzer, sanitizers), libasan8, kubernetes-client (kubectl: `kubectl kustomize` renders
# deploy/kubernetes offline; any kubectl from 1.20 on does), postgresql (15: test/kit/postgres.ts
# runs its initdb and pg_ctl in temporary directories, so the package's own cluster is stopped).
# Needs root or sudo; does nothing when everything is present.
set -euo pipefail
need=()
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
command -v kubectl >/dev/null 2>&1 || need+=(kubernetes-client)
command -v h2load >/dev/null 2>&1 || need+=(nghttp2-client)
/usr/bin/python3 -c 'import grpc' >/dev/null 2>&1 || need+=(python3-grpcio)
/usr/bin/python3 -c 'import xgboost' >/dev/null 2>&1 || need+=(python3-xgboost)
[ -x /usr/bin/chromium ] || need+=(chromium)
/usr/bin/python3 -c 'import sklearn' >/dev/null 2>&1 || need+=(python3-sklearn)
/usr/bin/python3 -c 'import onnx' >/dev/null 2>&1 || need+=(python3-onnx)
# clang with libFuzzer and the sanitizer runtimes (the fuzz harnesses of native/fuzz), and gcc's
# ASan runtime for the sanitizer build of the addon (npm run test:asan).
command -v clang++ >/dev/null 2>&1 || need+=(clang)
[ -n "$(find /usr/lib/llvm-*/lib/clang -name 'libclang_rt.fuzzer-x86_64.a' -print -quit 2>/dev/null)" ] || need+=(libclang-rt-dev)
[ -f "$(gcc -print-file-name=libasan.so 2>/dev/null)" ] || need+=(libasan8)
[ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql)
[ ${#need[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "installing Debian packages: ${need[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $(printf '%s\n' "${need[@]}" | sort -u) >/dev/null
# The service the prometheus package just started is not wanted: tests start Prometheus on free
# ports themselves. Stop only that one (its unit, or its processes run as the package's own user
# when there is no systemd), and only when this run installed the package: a Prometheus that
# someone else runs is left alone.
if printf '%s\n' "${need[@]}" | grep -qx prometheus; then
  $sudo systemctl stop prometheus >/dev/null 2>&1 || true
  if id -u prometheus >/dev/null 2>&1; then
    $sudo pkill -u prometheus -x prometheus >/dev/null 2>&1 || true
  fi
fi
# Likewise PostgreSQL's default cluster: the tests start their own servers on free ports.
if command -v pg_lsclusters >/dev/null 2>&1; then
  $sudo pg_ctlcluster 15 main stop >/dev/null 2>&1 || true
fi
