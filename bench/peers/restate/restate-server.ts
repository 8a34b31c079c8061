// The Restate server as a child process: the binary from the npm package @restatedev/restate-server,
// configured through its environment (RESTATE_* variables; nested keys use "__"), bound to 127.0.0.1
// on the given ports, TCP only, with all of its data under baseDir. Also: waiting until it serves,
// and registering the SDK endpoint (a "deployment") through the admin API.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createRequire } from "node:module";

export interface RestatePorts {
  ingress: number;
  admin: number;
  /** Node-to-node message fabric (unused by a single node, but it always listens). */
  node: number;
}

export interface RestateServer {
  child: ChildProcess;
  ingressUrl: string;
  adminUrl: string;
}

const require = createRequire(import.meta.url);

/** The platform binary the wrapper package would run; spawned directly so a signal reaches the server itself. */
function binaryPath(): string {
  const pkg = `@restatedev/restate-server-${process.platform}-${process.arch}`;
  try {
    return require.resolve(`${pkg}/bin/restate-server`);
  } catch {
    throw new Error(`restate-server: no binary for ${process.platform}-${process.arch} (package ${pkg} is not installed)`);
  }
}

/** True if `file args…` runs and exits 0 here (a probe of what this machine allows). */
function works(file: string, args: string[]): boolean {
  return spawnSync(file, args, { stdio: "ignore" }).status === 0;
}

/**
 * How the server is started; each wrapper execs into the next, so the child's pid is the server's
 * and signals reach it, and each is used only where this machine has it.
 * - setpriv --pdeathsig KILL: the server dies with the peer's node process, so a peer killed with
 *   SIGKILL (as crash tests do) takes its whole tree down and a restart finds the ports and the
 *   data directory free, as with any single-process bot.
 * - unshare -m with an empty resolv.conf: restate-server 1.7 always starts a "check-latest-release"
 *   task that asks api.github.com for the newest release (no setting turns it off;
 *   disable-telemetry covers only the usage ping). This machine must send nothing off loopback;
 *   with no resolver configured the lookup goes to 127.0.0.1:53 and fails there. Needs root.
 * Neither changes anything else the server does.
 */
function command(binary: string): { file: string; args: string[] } {
  const wrappers: string[] = [];
  if (works("setpriv", ["--pdeathsig", "KILL", "true"])) wrappers.push("setpriv", "--pdeathsig", "KILL", "--");
  if (works("unshare", ["-m", "sh", "-c", "mount --bind /dev/null /etc/resolv.conf"])) {
    wrappers.push("unshare", "-m", "sh", "-c", 'mount --bind /dev/null /etc/resolv.conf && exec "$0" "$@"');
  }
  const [file, ...args] = [...wrappers, binary, "--no-logo"];
  return { file: file!, args };
}

export function spawnRestateServer(options: { host: string; baseDir: string; ports: RestatePorts; logFilter: string }): RestateServer {
  const { host, baseDir, ports } = options;
  const { file, args } = command(binaryPath());
  const child = spawn(file, args, {
    env: {
      ...process.env,
      RESTATE_BASE_DIR: baseDir,
      // A fixed node name: the default is the host name, and the stored cluster metadata is keyed by it.
      RESTATE_NODE_NAME: "media-tracker-peer",
      RESTATE_BIND_IP: host,
      RESTATE_LISTEN_MODE: "tcp",
      RESTATE_BIND_PORT: String(ports.node),
      RESTATE_ADVERTISED_ADDRESS: `http://${host}:${ports.node}`,
      RESTATE_INGRESS__BIND_PORT: String(ports.ingress),
      RESTATE_ADMIN__BIND_PORT: String(ports.admin),
      RESTATE_DISABLE_TELEMETRY: "true",
      RESTATE_LOG_FILTER: options.logFilter,
      RESTATE_LOG_DISABLE_ANSI_CODES: "true",
    },
    // Its logs go to our stderr, like the rest of the peer's logs.
    stdio: ["ignore", process.stderr, process.stderr],
  });
  return { child, ingressUrl: `http://${host}:${ports.ingress}`, adminUrl: `http://${host}:${ports.admin}` };
}

/** Resolves once both the admin API and the ingress answer their health checks. */
export async function waitUntilServing(server: RestateServer, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const healthy = async (url: string): Promise<boolean> => {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await res.body?.cancel();
      return res.ok;
    } catch {
      return false;
    }
  };
  for (;;) {
    if (server.child.exitCode !== null || server.child.signalCode !== null) throw new Error("restate-server exited during start-up");
    if ((await healthy(`${server.adminUrl}/health`)) && (await healthy(`${server.ingressUrl}/restate/health`))) return;
    if (Date.now() > deadline) throw new Error(`restate-server did not become healthy within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

interface DeploymentSummary {
  id: string;
  uri?: string;
  services?: { name: string }[];
}

/**
 * Registers the SDK endpoint at `uri` for `serviceName`. On a restart the server already knows the
 * service; if its deployment lives at an older address (the endpoint's port changed), that
 * deployment is moved to the new address (PATCH), because invocations already in flight are pinned
 * to their deployment and would otherwise keep retrying the dead port. Otherwise a plain
 * registration with force, which is idempotent for an unchanged endpoint.
 */
export async function registerDeployment(adminUrl: string, uri: string, serviceName: string): Promise<void> {
  const listed = await admin(adminUrl, "GET", "/deployments");
  const deployments = ((listed as { deployments?: DeploymentSummary[] }).deployments ?? []).filter((d) =>
    d.services?.some((s) => s.name === serviceName),
  );
  for (const d of deployments) {
    if (d.uri !== undefined && d.uri !== uri) await admin(adminUrl, "PATCH", `/deployments/${encodeURIComponent(d.id)}`, { uri });
  }
  await admin(adminUrl, "POST", "/deployments", { uri, force: true });
}

/**
 * Invocations that are queued or running (not completed, suspended, paused or backing off), from the
 * admin API's SQL view of the server's state.
 */
export async function countActiveInvocations(adminUrl: string): Promise<number> {
  const result = (await admin(adminUrl, "POST", "/query", {
    query: "SELECT count(*) AS n FROM sys_invocation WHERE status IN ('pending', 'ready', 'running')",
  })) as { rows?: { n?: number }[] };
  return Number(result.rows?.[0]?.n ?? 0);
}

async function admin(adminUrl: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${adminUrl}${path}`, {
    method,
    headers: body === undefined ? { accept: "application/json" } : { accept: "application/json", "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`admin ${method} ${path}: HTTP ${res.status} ${text}`);
  return text === "" ? {} : (JSON.parse(text) as unknown);
}
