// /find through the whole app: case and accents are folded beyond ASCII ("война" finds "Война и
// мир", "amelie" finds "Amélie"), which SQLite's lower() never did.
import { afterAll, beforeAll, expect, it } from "vitest";
import { makeTextUpdate } from "../support/fake-bot-api.js";
import { seed } from "../support/entries.js";
import { postHandled } from "../support/handled.js";
import { type TestApp, startTestApp } from "../support/test-app.js";

const CHAT = 8101;
let t: TestApp;
let nextUpdateId = 1;
beforeAll(async () => {
  t = await startTestApp();
  await seed(t, CHAT, [
    { id: "w", kind: "book", title: "Война и мир", author: "Лев Толстой" },
    { id: "a", kind: "movie", title: "Amélie", year: 2001 },
    { id: "e", kind: "movie", title: "Élan" },
  ]);
});
afterAll(async () => {
  await t.close();
});

const find = async (text: string) => (await postHandled(t, CHAT, makeTextUpdate(nextUpdateId++, CHAT, `/find ${text}`))).texts.join("\n");

it("finds non-ASCII capitals and accented titles however they are typed", async () => {
  expect(await find("война")).toMatch(/Война и мир/);
  expect(await find("ТОЛСТОЙ")).toMatch(/Война и мир/);
  const amelie = await find("amelie");
  expect(amelie).toMatch(/Amélie/);
  expect(amelie).not.toMatch(/Élan|Война/);
  expect(await find("elan")).toMatch(/Élan/);
  expect(await find("dune")).toMatch(/^Nothing matches "dune"/);
});
