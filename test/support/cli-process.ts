// Runs a command-line tool (src/cli/<name>.ts, or the bot's src/launch.mjs) as a child process, as a
// person runs it: a clean environment (PATH and what the test gives), optional input on stdin, and
// the exit code with both outputs, whatever the code.
import { type ChildProcess, spawn } from "node:child_process";
import { REPO_ROOT } from "./bot-process.js";

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string>;
  /** Written to stdin, which is then closed (default: closed at once). */
  input?: string;
  cwd?: string;
  /** Killed (SIGKILL) after this long; the result then has code null. Default 60 s. */
  timeoutMs?: number;
  /** Run under this umask (e.g. 0: every file the tool creates would be world-readable by default). */
  umask?: number;
}

/** `node --import tsx src/cli/<tool>.ts …args`, or any node arguments given as `["src/launch.mjs"]`. */
export function runTool(tool: string, args: string[], options: CliOptions = {}): Promise<CliResult> {
  return runNode(["--import", "tsx", `src/cli/${tool}.ts`, ...args], options);
}

export function runNode(nodeArgs: string[], options: CliOptions = {}): Promise<CliResult> {
  const child = spawnNode(nodeArgs, options);
  child.stdin!.end(options.input ?? "");
  return collect(child, options.timeoutMs ?? 60_000);
}

/** A child left running (stdin open) for a test that talks to it; collect its result with `collect`. */
export function spawnNode(nodeArgs: string[], options: CliOptions = {}): ChildProcess {
  // umask is per process and cannot be set in a test worker: a shell sets it, then becomes node.
  const [command, args] = options.umask === undefined
    ? [process.execPath, nodeArgs]
    : ["sh", ["-c", `umask ${options.umask.toString(8).padStart(3, "0")} && exec "$0" "$@"`, process.execPath, ...nodeArgs]];
  return spawn(command, args, {
    cwd: options.cwd ?? REPO_ROOT,
    env: { PATH: process.env.PATH ?? "", ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
}

export function collect(child: ChildProcess, timeoutMs = 60_000): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => void (stdout += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => void (stderr += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
