// `npm run --silent admin -- <command> [--json]`: the operator's view of the bot's database (see
// program.ts for the commands). Reads .env like the bot, so it finds the same DATABASE_URL or DATABASE_PATH.
import "dotenv/config";
import { runAdmin } from "./program.js";

process.exitCode = await runAdmin(
  process.argv.slice(2),
  { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) },
  process.env,
);
