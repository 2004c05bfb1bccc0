// `npm run fuzz -- --cases 1000000`: the long fuzz run, every target of test/fuzz/targets.ts
// (fast-check, in this process) and every libFuzzer harness (native/fuzz, built with clang under
// ASan + UBSan), each for that many cases. Prints a Markdown table for docs/fuzzing.md and exits 1
// on any failure, with the input that replays it.
//
//   --cases N        cases per target (default 100000); libFuzzer gets -runs=N
//   --targets a,b    only these (names as in the table); default every one
//   --seed S         fast-check's seed and libFuzzer's -seed (default: random, printed)
//   --json FILE      also write the results as JSON
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type FuzzResult, fuzz } from "./harness.js";
import { FUZZ_TARGETS, NATIVE_FUZZERS, type NativeFuzzer } from "./targets.js";

const ROOT = join(import.meta.dirname, "..", "..");

interface Row {
  target: string;
  parser: string;
  cases: number;
  accepted: number | string;
  rejected: number | string;
  failures: number;
  seconds: number;
  extra?: string;
  failure?: string;
}

function runNative(f: NativeFuzzer, cases: number, seed: number, corpus: string): Row {
  const build = spawnSync("bash", [join(ROOT, "scripts", "build-fuzzers.sh"), f.harness], {
    cwd: ROOT,
    encoding: "utf8",
  });
  if (build.status !== 0) throw new Error(`building ${f.harness}-fuzzer failed:\n${build.stderr}`);
  const t0 = performance.now();
  const res = spawnSync(
    join(ROOT, "build-fuzz", `${f.harness}-fuzzer`),
    [`-runs=${cases}`, `-seed=${seed >>> 0}`, "-print_final_stats=1", "-rss_limit_mb=2048", corpus],
    {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, ASAN_OPTIONS: "detect_leaks=1:halt_on_error=1" },
      maxBuffer: 1 << 28,
    },
  );
  const seconds = (performance.now() - t0) / 1000;
  const out = `${res.stdout}${res.stderr}`;
  const stat = (k: string) => Number(new RegExp(`stat::${k}:\\s+(\\d+)`).exec(out)?.[1] ?? Number.NaN);
  const done = /#(\d+)\s+DONE\s+cov: (\d+) ft: (\d+) corp: (\d+)/.exec(out);
  const row: Row = {
    target: f.name,
    parser: f.parser,
    cases: stat("number_of_executed_units"),
    accepted: "-",
    rejected: "-",
    failures: res.status === 0 ? 0 : 1,
    seconds,
    extra: done ? `coverage ${done[2]} edges, ${done[3]} features, corpus ${done[4]}` : undefined,
  };
  if (res.status !== 0) row.failure = out.slice(-6000);
  return row;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      cases: { type: "string", default: "100000" },
      targets: { type: "string" },
      seed: { type: "string" },
      json: { type: "string" },
    },
  });
  const cases = Number(values.cases);
  if (!Number.isSafeInteger(cases) || cases < 1) throw new Error(`--cases must be a positive integer`);
  const seed = values.seed === undefined ? Date.now() & 0x7fffffff : Number(values.seed);
  const names = values.targets?.split(",").map((s) => s.trim());
  const known = [...FUZZ_TARGETS.map((t) => t.name), ...NATIVE_FUZZERS.map((f) => f.name)];
  for (const n of names ?? [])
    if (!known.includes(n)) throw new Error(`unknown target ${n}; known: ${known.join(", ")}`);
  const wanted = (n: string) => names === undefined || names.includes(n);
  process.stderr.write(`fuzz: ${cases} cases per target, seed ${seed}\n`);

  const rows: Row[] = [];
  for (const target of FUZZ_TARGETS.filter((t) => wanted(t.name))) {
    const r: FuzzResult = await fuzz(target, {
      cases,
      seed,
      progressEvery: Math.max(1, Math.floor(cases / 10)),
      onProgress: (n) => process.stderr.write(`fuzz: ${target.name}: ${n} cases\n`),
    });
    const other = Object.entries(r.outcomes).map(([k, n]) => `${k}: ${n}`);
    rows.push({
      target: r.target,
      parser: target.parser,
      extra: other.length > 0 ? other.join(", ") : undefined,
      cases: r.cases,
      accepted: r.accepted,
      rejected: r.rejected,
      failures: r.failures,
      seconds: r.ms / 1000,
      failure: r.failure,
    });
    process.stderr.write(`fuzz: ${target.name}: done, ${r.failures} failures\n`);
  }
  for (const f of NATIVE_FUZZERS.filter((n) => wanted(n.name))) {
    const corpus = mkdtempSync(join(tmpdir(), `mlops-fuzz-${f.harness}-`));
    try {
      for (const [i, s] of (await f.seeds()).entries()) writeFileSync(join(corpus, `seed-${i}`), s);
      rows.push(runNative(f, cases, seed, corpus));
    } finally {
      rmSync(corpus, { recursive: true, force: true });
    }
    process.stderr.write(`fuzz: ${f.name}: done\n`);
  }

  const cpu = cpus()[0]?.model ?? "unknown CPU";
  console.log(
    `fuzz run: ${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${cpu} (${availableParallelism()} threads), seed ${seed}\n`,
  );
  console.log("| target | parser | cases | accepted | rejected | failures | time | cases/s |");
  console.log("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const r of rows) {
    const rate = Math.round(r.cases / r.seconds);
    console.log(
      `| ${r.target} | ${r.parser}${r.extra ? ` (${r.extra})` : ""} | ${r.cases} | ${r.accepted} | ${r.rejected} | ${r.failures} | ${r.seconds.toFixed(0)} s | ${rate} |`,
    );
  }
  for (const r of rows) if (r.failure) console.log(`\n${r.target} FAILED:\n${r.failure}`);
  if (values.json) writeFileSync(values.json, `${JSON.stringify({ seed, cases, rows }, null, 2)}\n`);
  if (rows.some((r) => r.failures > 0)) process.exitCode = 1;
}

await main();
