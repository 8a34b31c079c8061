// What a system under test costs the machine, read from Linux's /proc: resident memory and CPU time
// of a process and all its descendants (the Restate peer is three processes), and the machine's
// busy time, so a run can say when something else was competing for the cores.
import fs from "node:fs";

interface ProcStat {
  pid: number;
  ppid: number;
  /** user + system CPU seconds. */
  cpuSeconds: number;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the ")" of the command name: state is field 3, ppid 4, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { pid, ppid: Number(fields[1]), cpuSeconds: (Number(fields[11]) + Number(fields[12])) / 100 };
  } catch {
    return undefined; // gone, or not Linux
  }
}

/** CPU seconds (user + system) a process has used so far; 0 when it is gone. */
export function processCpuSeconds(pid: number): number {
  return readStat(pid)?.cpuSeconds ?? 0;
}

/** `root` and every process below it. */
export function processTree(root: number): number[] {
  let all: ProcStat[];
  try {
    all = fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map((d) => readStat(Number(d))).filter((s): s is ProcStat => !!s);
  } catch {
    return [root];
  }
  const children = new Map<number, number[]>();
  for (const s of all) {
    const list = children.get(s.ppid) ?? [];
    list.push(s.pid);
    children.set(s.ppid, list);
  }
  const tree: number[] = [];
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop()!;
    tree.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return tree;
}

function rssKB(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    return Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Resident memory of the whole tree now, in MB. */
export function treeRssMB(root: number): number {
  return processTree(root).reduce((sum, pid) => sum + rssKB(pid), 0) / 1024;
}

/** CPU seconds used so far by the whole tree (children that already exited are not counted). */
export function treeCpuSeconds(root: number): number {
  return processTree(root).reduce((sum, pid) => sum + (readStat(pid)?.cpuSeconds ?? 0), 0);
}

/** Busy and total jiffies of the whole machine (all cores). */
export function machineJiffies(): { busy: number; total: number } | null {
  try {
    const line = fs.readFileSync("/proc/stat", "utf8").split("\n")[0]!;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0); // user … steal (guest is inside user)
    const idle = (v[3] ?? 0) + (v[4] ?? 0); // idle + iowait
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

/** Samples the RSS of the trees below `roots` every `everyMs` until stopped; `peakMB` is the highest sum seen. */
export class RssSampler {
  peakMB = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly roots: readonly number[], everyMs = 100) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  sample(): void {
    this.peakMB = Math.max(this.peakMB, this.roots.reduce((sum, root) => sum + treeRssMB(root), 0));
  }

  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return Math.round(this.peakMB * 10) / 10;
  }
}
