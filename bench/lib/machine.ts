// The machine a report was measured on: ratios travel between machines, absolute figures do not.
import { availableParallelism, cpus, release, totalmem } from "node:os";

export interface MachineInfo {
  cpuModel: string;
  /** Logical CPUs this process may use. */
  cores: number;
  memoryGiB: number;
  node: string;
  os: string;
  /** ISO-8601 time the run started. */
  date: string;
}

export function machineInfo(now = new Date()): MachineInfo {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim().replace(/\s+/g, " ") || "unknown",
    cores: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os: `${process.platform} ${release()}`,
    date: now.toISOString(),
  };
}
