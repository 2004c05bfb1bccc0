import { describe, expect, it } from "vitest";
import { BENCH_DEFAULTS, parseBenchArgs, UsageError } from "../../bench/lib/options.js";

describe("parseBenchArgs", () => {
  it("defaults to a full run: 5 rounds of 2 s loads, 1-connection runs of 1.5 s, 2 s warm-up then 0.5 s, no scaling, seed auto, ONNX on", () => {
    const o = parseBenchArgs([], {});
    expect(o).toEqual({
      quick: false,
      workers: [],
      serverCpus: undefined,
      loadCpus: undefined,
      durationS: 2,
      durationC1S: 1.5,
      warmupS: 2,
      rewarmS: 0.5,
      rounds: 5,
      grpcStreams: 1,
      seedStack: "auto",
      seedStackScript: undefined,
      onnx: true,
      outDir: "bench/results",
      data: "data/classification_20f_10k.csv.gz",
    });
    expect(BENCH_DEFAULTS.full).toEqual({
      durationS: 2,
      durationC1S: 1.5,
      warmupS: 2,
      rewarmS: 0.5,
      rounds: 5,
    });
  });

  it("--quick shortens every load run and measures each once", () => {
    const o = parseBenchArgs(["--quick"]);
    expect([o.quick, o.durationS, o.durationC1S, o.warmupS, o.rewarmS, o.rounds]).toEqual([
      true,
      2,
      1,
      0.25,
      0.25,
      1,
    ]);
  });

  it("--rewarm sets the later rounds' warm-up, never longer than --warmup", () => {
    expect(parseBenchArgs(["--rewarm", "1"]).rewarmS).toBe(1);
    expect(parseBenchArgs(["--rewarm", "0"]).rewarmS).toBe(0);
    expect(parseBenchArgs(["--warmup", "0.2"]).rewarmS).toBe(0.2);
    expect(parseBenchArgs(["--warmup", "0"]).rewarmS).toBe(0);
    expect(() => parseBenchArgs(["--rewarm", "-1"])).toThrow(UsageError);
  });

  it("--rounds takes a positive integer", () => {
    expect(parseBenchArgs(["--rounds", "3"]).rounds).toBe(3);
    expect(parseBenchArgs(["--quick", "--rounds", "2"]).rounds).toBe(2);
    for (const bad of ["0", "1.5", "-1", "x"]) {
      expect(() => parseBenchArgs(["--rounds", bad])).toThrow(UsageError);
    }
  });

  it("takes the scaling curve's worker counts and CPU sets in one command", () => {
    const o = parseBenchArgs(["--workers", "1,2,4,8", "--server-cpus", "0-7", "--load-cpus", "8-15"]);
    expect(o.workers).toEqual([1, 2, 4, 8]);
    expect(o.serverCpus).toBe("0-7");
    expect(o.loadCpus).toBe("8-15");
  });

  it("lets explicit durations, warm-up 0, streams, seed stack and output override the defaults", () => {
    const o = parseBenchArgs([
      "--quick",
      "--duration",
      "1.5",
      "--duration-c1",
      "1",
      "--warmup",
      "0",
      "--grpc-streams",
      "10",
      "--seed-stack",
      "off",
      "--no-onnx",
      "--out",
      "/tmp/x",
    ]);
    expect([o.durationS, o.durationC1S, o.warmupS, o.grpcStreams, o.seedStack, o.onnx, o.outDir]).toEqual([
      1.5,
      1,
      0,
      10,
      "off",
      false,
      "/tmp/x",
    ]);
  });

  it("finds the seed stack's script by --seed-stack-script, else MLOPS_BENCH_SEED_STACK", () => {
    const env = { MLOPS_BENCH_SEED_STACK: "from-env.sh" };
    expect(parseBenchArgs([], env).seedStackScript).toBe("from-env.sh");
    expect(parseBenchArgs(["--seed-stack-script", "flag.sh"], env).seedStackScript).toBe("flag.sh");
    expect(parseBenchArgs([], { MLOPS_BENCH_SEED_STACK: "" }).seedStackScript).toBeUndefined();
    expect(parseBenchArgs(["--seed-stack", "on"], env).seedStack).toBe("on");
  });

  it("--seed-stack on without a script is a usage error that names both ways to give one", () => {
    expect(() => parseBenchArgs(["--seed-stack", "on"], {})).toThrow(
      /--seed-stack-script PATH or MLOPS_BENCH_SEED_STACK/,
    );
  });

  it.each([
    [["--workers", "0"]],
    [["--workers", "1,x"]],
    [["--server-cpus", "a-b"]],
    [["--duration", "-1"]],
    [["--grpc-streams", "1.5"]],
    [["--seed-stack", "maybe"]],
    [["--bogus"]],
    [["positional"]],
    [["--seed-stack", "on"]],
  ])("rejects %j with ERR_BENCH_USAGE", (argv) => {
    try {
      parseBenchArgs(argv, {});
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(UsageError);
      expect((error as UsageError).code).toBe("ERR_BENCH_USAGE");
    }
  });
});
