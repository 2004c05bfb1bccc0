import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runToCompletion, startChild } from "../../bench/lib/children.js";

/** Running (not gone, not a zombie waiting for a reaper). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

describe("benchmark child processes", () => {
  it("stop() ends the child and what it forked (the whole process group)", async () => {
    const child = startChild({
      name: "sh",
      command: "sh",
      args: ["-c", "sleep 60 & echo grandchild $!; wait"],
    });
    const m = await child.waitForOutput(/grandchild (\d+)/, 5000);
    const grandchild = Number(m[1]);
    expect(alive(grandchild)).toBe(true);
    const info = await child.stop(2000);
    expect(info.signal ?? info.code).not.toBeNull();
    expect(child.running()).toBe(false);
    // The grandchild shares the output pipe, so it closes once the grandchild has ended too.
    await expect(child.closed).resolves.toEqual(info);
    // Its pipe closes a moment before the kernel marks it a zombie: wait for that state, bounded.
    await expect.poll(() => alive(grandchild), { timeout: 5000 }).toBe(false);
  });

  it("waitForOutput rejects when the child exits first", async () => {
    const child = startChild({ name: "true", command: "true" });
    await expect(child.waitForOutput(/never/, 5000)).rejects.toThrow(/exited/);
  });

  it("a command that cannot start throws, and leaves no unhandled error event behind", async () => {
    expect(() => startChild({ name: "missing", command: "/nonexistent/mlops-no-such-command" })).toThrow(
      /missing: could not start/,
    );
    // The child's "error" event comes on a later tick; an unhandled one would fail this file.
    await new Promise((resolve) => setImmediate(resolve));
  });

  it("runToCompletion returns the output, and rejects on a non-zero exit", async () => {
    await expect(
      runToCompletion({ name: "echo", command: "sh", args: ["-c", "echo hi"] }, 5000),
    ).resolves.toBe("hi\n");
    await expect(
      runToCompletion({ name: "fail", command: "sh", args: ["-c", "echo oops >&2; exit 3"] }, 5000),
    ).rejects.toThrow(/code 3[\s\S]*oops/);
  });

  it("runToCompletion kills a command that outlives its limit", async () => {
    const t0 = Date.now();
    await expect(runToCompletion({ name: "sleep", command: "sleep", args: ["30"] }, 300)).rejects.toThrow(
      /SIGTERM/,
    );
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});
