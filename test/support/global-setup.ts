// Runs once per `vitest run`, before any test file: builds the bot's test bundle (bot-bundle.ts) if a
// source is newer, so the child-process tests of both workers find it built instead of each
// checking, and the first of them building, while their tests' clocks run.
import { botBundle } from "./bot-bundle.js";

export default async function setup(): Promise<void> {
  await botBundle();
}
