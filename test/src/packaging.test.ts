// The Dockerfile, compose.yaml and the systemd unit cannot be run on every machine that runs the
// tests (no Docker engine, no systemd), so their instructions are checked against what the app
// and the README say: the port, the environment's names, the health path, the data path and its
// volume, a non-root user, the command `npm start` runs, and a stop timeout past the bot's drain.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config.js";
import { REPO_ROOT } from "../support/bot-process.js";

const read = (file: string) => fs.readFileSync(path.join(REPO_ROOT, file), "utf8");
const README = read("README.md");
const ENV_EXAMPLE = read(".env.example");
const CONFIG_SOURCE = read("src/config.ts");
const START = (JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts.start!;
/** What `npm start` runs after "node": its flags and the launcher. */
const START_ARGS = START.replace(/^node\s+/, "").split(/\s+/);
/** The longest the bot may take to stop on SIGTERM: a model call in progress, with its retries. */
const DRAIN_SECONDS = 2 * parseConfig({}).OPENAI_TIMEOUT_SECONDS;
const HEALTH_PATH = "/healthz";

interface Instruction {
  keyword: string;
  args: string;
}

/** Dockerfile instructions in order: comments dropped, continuation lines joined. */
function dockerfile(): Instruction[] {
  const joined = read("Dockerfile")
    .split("\n")
    .filter((line) => !/^\s*#/.test(line))
    .join("\n")
    .replace(/\\\n/g, " ");
  return joined
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [keyword = "", ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(" ") };
    });
}

/** The instructions of the last stage: what the image runs. */
function finalStage(): Instruction[] {
  const all = dockerfile();
  const from = all.map((i) => i.keyword).lastIndexOf("FROM");
  return all.slice(from);
}

function one(stage: Instruction[], keyword: string): string {
  const found = stage.filter((i) => i.keyword === keyword);
  expect(found, `one ${keyword} in the final stage`).toHaveLength(1);
  return found[0]!.args;
}

/** ENV lines: both `ENV A=1 B=2` and `ENV A 1`. */
function dockerEnv(stage: Instruction[]): Map<string, string> {
  const env = new Map<string, string>();
  for (const { args } of stage.filter((i) => i.keyword === "ENV")) {
    if (!args.includes("=")) {
      const [name = "", ...value] = args.split(/\s+/);
      env.set(name, value.join(" "));
      continue;
    }
    for (const pair of args.match(/\S+=("[^"]*"|\S*)/g) ?? []) {
      const [name = "", value = ""] = pair.split(/=(.*)/s);
      env.set(name, value.replace(/^"|"$/g, ""));
    }
  }
  return env;
}

/** An environment variable the bot reads: a key of the config, documented in .env.example and the README. */
function expectDocumented(name: string, where: string): void {
  if (name === "NODE_ENV") return;
  expect(CONFIG_SOURCE, `${where}: ${name} is not a setting the bot reads (src/config.ts)`).toMatch(new RegExp(`^\\s+${name}:`, "m"));
  expect(ENV_EXAMPLE, `${where}: ${name} is not in .env.example`).toMatch(new RegExp(`^#? ?${name}=`, "m"));
  expect(README, `${where}: ${name} is not in the README's configuration table`).toContain(`\`${name}\``);
}

/** The `bot` service of compose.yaml: its lines, indented under it. */
function composeService(name: string): string[] {
  const lines = read("compose.yaml").split("\n");
  const start = lines.findIndex((line) => line === `  ${name}:`);
  expect(start, `service ${name} in compose.yaml`).toBeGreaterThan(-1);
  const end = lines.findIndex((line, i) => i > start && /^ {2}\S/.test(line));
  return lines.slice(start + 1, end === -1 ? undefined : end).filter((line) => !/^\s*#/.test(line));
}

/** The `key:` block of a compose service: its "- item" or "name: value" lines. */
function composeBlock(service: string[], key: string): string[] {
  const start = service.findIndex((line) => line === `    ${key}:`);
  if (start === -1) return [];
  const block: string[] = [];
  for (const line of service.slice(start + 1)) {
    if (!/^ {6}/.test(line)) break;
    block.push(line.trim());
  }
  return block;
}

function composeValue(service: string[], key: string): string | undefined {
  const line = service.find((l) => l.startsWith(`    ${key}:`));
  return line?.slice(`    ${key}:`.length).trim();
}

function seconds(duration: string): number {
  const match = /^(\d+)(ms|s|m|h)?$/.exec(duration.trim());
  expect(match, `a duration: ${duration}`).not.toBeNull();
  const n = Number(match![1]);
  return { ms: n / 1000, s: n, m: n * 60, h: n * 3600 }[match![2] ?? "s"]!;
}

function systemdUnit(): Map<string, string[]> {
  const values = new Map<string, string[]>();
  for (const line of read("deploy/media-tracker.service").split("\n")) {
    const match = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (match) values.set(match[1]!, [...(values.get(match[1]!) ?? []), match[2]!]);
  }
  return values;
}

describe("Dockerfile", () => {
  const stage = finalStage();
  const env = dockerEnv(stage);

  it("builds on Node 20 slim with npm ci --omit=dev, which builds the bundle (prepare)", () => {
    const bases = dockerfile().filter((i) => i.keyword === "FROM").map((i) => i.args.split(/\s+/)[0]);
    expect(bases.length).toBeGreaterThan(0);
    for (const base of bases) expect(base).toMatch(/^node:20(\.\d+)*-(bookworm-)?slim$/);
    expect(dockerfile().some((i) => i.keyword === "RUN" && /\bnpm ci --omit=dev\b/.test(i.args) && !/--ignore-scripts/.test(i.args))).toBe(true);
    const copied = dockerfile().filter((i) => i.keyword === "COPY").map((i) => i.args.split(/\s+/)[0]);
    for (const needed of ["package.json", "src", "agents", "runtime", "migrations"]) expect(copied).toContain(needed);
    const ignored = read(".dockerignore").split("\n").map((l) => l.trim());
    for (const kept of ["node_modules", ".env", "data", "*.db"]) expect(ignored).toContain(kept);
  });

  it("runs as a non-root user what npm start runs, stopped by SIGTERM", () => {
    const user = one(stage, "USER");
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    const users = stage.map((i) => i.keyword);
    expect(users.indexOf("USER")).toBeLessThan(users.indexOf("CMD"));
    expect(JSON.parse(one(stage, "CMD"))).toEqual(["node", ...START_ARGS]);
    expect(one(stage, "STOPSIGNAL")).toBe("SIGTERM");
  });

  it("keeps the database and the backups in its volume", () => {
    const volumes = JSON.parse(one(stage, "VOLUME")) as string[];
    const database = env.get("DATABASE_PATH")!;
    expect(path.posix.isAbsolute(database)).toBe(true);
    expect(volumes).toContain(path.posix.dirname(database));
    expect(env.get("BACKUP_DIR")!.startsWith(`${path.posix.dirname(database)}/`)).toBe(true);
    expect(README).toContain(`\`DATABASE_PATH=${database}\``);
    expect(README).toContain(`\`BACKUP_DIR=${env.get("BACKUP_DIR")}\``);
    expect(README).toContain(`\`${volumes[0]}\` volume`);
  });

  it("exposes the PORT it listens on and checks health on the bot's health path", () => {
    const port = env.get("PORT")!;
    expect(one(stage, "EXPOSE")).toBe(port);
    expect(env.get("HOST")).toBe("0.0.0.0"); // reachable through the published port
    const health = one(stage, "HEALTHCHECK");
    expect(health).toContain(HEALTH_PATH);
    expect(health).toMatch(new RegExp(`process\\.env\\.PORT \\|\\| ${port}`));
    expect(README).toContain(`port ${port} (\`PORT\`)`);
    expect(README).toContain(`\`GET ${HEALTH_PATH}\``);
    expect(read("src/http/server.ts")).toContain(`path === "${HEALTH_PATH}"`);
  });

  it("sets only settings the bot reads, each documented", () => {
    for (const name of env.keys()) expectDocumented(name, "Dockerfile ENV");
  });
});

describe("compose.yaml", () => {
  const bot = composeService("bot");
  const imageEnv = dockerEnv(finalStage());

  it("gives the bot the image's data path, volume and port, and only settings it reads", () => {
    const environment = new Map(composeBlock(bot, "environment").map((line) => {
      const [name = "", value = ""] = line.split(/:\s*(.*)/s);
      return [name, value.replace(/^"|"$/g, "")];
    }));
    for (const name of environment.keys()) expectDocumented(name, "compose.yaml environment");
    expect(environment.get("DATABASE_PATH")).toBe(imageEnv.get("DATABASE_PATH"));
    expect(environment.get("PORT")).toBe(imageEnv.get("PORT"));
    expect(composeBlock(bot, "volumes")).toContain(`- data:${path.posix.dirname(imageEnv.get("DATABASE_PATH")!)}`);
    expect(composeBlock(bot, "ports")).toEqual([`- "127.0.0.1:${imageEnv.get("PORT")}:${imageEnv.get("PORT")}"`]);
    expect(composeValue(bot, "read_only")).toBe("true");
    expect(composeBlock(bot, "extra_hosts")).toContain('- "host.docker.internal:host-gateway"');
    expect(README).toContain("host.docker.internal");
  });

  it("stops with SIGTERM and waits longer than the bot's drain", () => {
    expect(composeValue(bot, "stop_signal")).toBe("SIGTERM");
    expect(seconds(composeValue(bot, "stop_grace_period")!)).toBeGreaterThan(DRAIN_SECONDS);
    expect(README).toContain("two\nminutes to stop");
  });

  it("starts PostgreSQL only when asked for", () => {
    expect(composeValue(composeService("postgres"), "profiles")).toBe('["postgres"]');
  });
});

describe("systemd unit", () => {
  const unit = systemdUnit();
  const value = (key: string) => {
    expect(unit.get(key), key).toHaveLength(1);
    return unit.get(key)![0]!;
  };

  it("restarts always, stops with SIGTERM and waits longer than the bot's drain", () => {
    expect(value("Restart")).toBe("always");
    expect(value("KillSignal")).toBe("SIGTERM");
    expect(seconds(value("TimeoutStopSec"))).toBeGreaterThan(DRAIN_SECONDS);
    expect(README).toContain(`\`TimeoutStopSec=${value("TimeoutStopSec")}\``);
  });

  it("runs what npm start runs, as its own user, with an absolute data path", () => {
    const execStart = value("ExecStart").split(/\s+/);
    expect(path.posix.basename(execStart[0]!)).toBe("node");
    expect(execStart.slice(1)).toEqual(START_ARGS);
    expect(value("User")).not.toBe("root");
    expect(path.posix.isAbsolute(value("WorkingDirectory"))).toBe(true);
    const environment = new Map((unit.get("Environment") ?? []).map((line) => line.split(/=(.*)/s) as [string, string]));
    for (const name of environment.keys()) expectDocumented(name, "systemd Environment");
    expect(path.posix.isAbsolute(environment.get("DATABASE_PATH") ?? "")).toBe(true);
    expect(environment.get("DATABASE_PATH")!.startsWith(`/var/lib/${value("StateDirectory")}/`)).toBe(true);
    expect(README).toContain("deploy/media-tracker.service");
  });
});
