// The /stats charts: SVG drawn here from a year's numbers, rendered to PNG by resvg (a Rust renderer
// shipped prebuilt in its npm package; no browser) with a font file shipped in an npm package too, so
// that the same numbers give the same picture on any machine.
import { createRequire } from "node:module";
import path from "node:path";
import { Resvg } from "@resvg/resvg-js";
import { MONTH_NAMES, RATING_BUCKETS, type YearStats } from "./compute.js";

export type ChartName = "months" | "ratings" | "year";
export const CHART_NAMES: readonly ChartName[] = ["months", "ratings", "year"];
export const CHART_WIDTH = 800;
export const CHART_HEIGHT = 500;
/** A chart bigger than this is not sent (they are a few tens of KB); it keeps the journal small. */
export const MAX_CHART_BYTES = 200 * 1024;

const FONT_FILES = (() => {
  const require = createRequire(import.meta.url);
  const dir = path.join(path.dirname(require.resolve("dejavu-fonts-ttf/package.json")), "ttf");
  return [path.join(dir, "DejaVuSans.ttf"), path.join(dir, "DejaVuSans-Bold.ttf")];
})();

const COLORS = { books: "#4e79a7", movies: "#e15759", episodes: "#59a14f", ink: "#222222", grid: "#dddddd", paper: "#ffffff" };

export function chartSvg(name: ChartName, s: YearStats): string {
  switch (name) {
    case "months":
      return monthsSvg(s);
    case "ratings":
      return ratingsSvg(s);
    case "year":
      return yearSvg(s);
  }
}

/** The chart as a PNG, CHART_WIDTH × CHART_HEIGHT. */
export function renderChart(name: ChartName, s: YearStats): Buffer {
  const resvg = new Resvg(chartSvg(name, s), {
    font: { loadSystemFonts: false, fontFiles: FONT_FILES, defaultFontFamily: "DejaVu Sans" },
    fitTo: { mode: "original" },
  });
  return Buffer.from(resvg.render().asPng());
}

// === The charts

function monthsSvg(s: YearStats): string {
  const left = 60, top = 70, width = CHART_WIDTH - left - 30, height = CHART_HEIGHT - top - 80;
  const series = [
    { key: "books", label: "Books", color: COLORS.books },
    { key: "movies", label: "Movies", color: COLORS.movies },
    { key: "episodes", label: "Episodes", color: COLORS.episodes },
  ] as const;
  const max = Math.max(1, ...s.months.flatMap((m) => [m.books, m.movies, m.episodes]));
  const step = niceStep(max);
  const top_ = Math.ceil(max / step) * step;
  const slot = width / 12;
  const bar = (slot - 8) / 3;
  const parts: string[] = [];
  for (let v = 0; v <= top_; v += step) {
    const y = top + height - (v / top_) * height;
    parts.push(`<line x1="${left}" y1="${y}" x2="${left + width}" y2="${y}" stroke="${COLORS.grid}"/>`);
    parts.push(label(left - 8, y + 5, String(v), 13, "end"));
  }
  s.months.forEach((m, i) => {
    series.forEach((serie, j) => {
      const value = m[serie.key];
      const h = (value / top_) * height;
      const x = left + i * slot + 4 + j * bar;
      if (h > 0) parts.push(`<rect x="${fix(x)}" y="${fix(top + height - h)}" width="${fix(bar)}" height="${fix(h)}" fill="${serie.color}"/>`);
    });
    parts.push(label(left + i * slot + slot / 2, top + height + 20, MONTH_NAMES[i]!.slice(0, 3), 13, "middle"));
  });
  series.forEach((serie, j) => {
    const x = left + j * 150;
    parts.push(`<rect x="${x}" y="${CHART_HEIGHT - 35}" width="16" height="16" fill="${serie.color}"/>`);
    parts.push(label(x + 22, CHART_HEIGHT - 22, serie.label, 14));
  });
  return frame(`${s.year}, month by month`, parts);
}

function ratingsSvg(s: YearStats): string {
  const left = 60, top = 70, width = CHART_WIDTH - left - 30, height = CHART_HEIGHT - top - 60;
  const max = Math.max(1, ...s.ratings);
  const step = niceStep(max);
  const top_ = Math.ceil(max / step) * step;
  const slot = width / RATING_BUCKETS.length;
  const parts: string[] = [];
  for (let v = 0; v <= top_; v += step) {
    const y = top + height - (v / top_) * height;
    parts.push(`<line x1="${left}" y1="${y}" x2="${left + width}" y2="${y}" stroke="${COLORS.grid}"/>`);
    parts.push(label(left - 8, y + 5, String(v), 13, "end"));
  }
  RATING_BUCKETS.forEach((rating, i) => {
    const h = (s.ratings[i]! / top_) * height;
    const x = left + i * slot + 10;
    if (h > 0) parts.push(`<rect x="${fix(x)}" y="${fix(top + height - h)}" width="${fix(slot - 20)}" height="${fix(h)}" fill="#f28e2b"/>`);
    parts.push(label(left + i * slot + slot / 2, top + height + 22, `${rating}★`, 14, "middle"));
  });
  const subtitle = s.averageRating === null ? "nothing rated" : `average ${s.averageRating}/5 over ${s.ratedCount} rated`;
  return frame(`${s.year} ratings: ${subtitle}`, parts);
}

function yearSvg(s: YearStats): string {
  const n = (v: number) => v.toLocaleString("en-US");
  const tiles = [
    { value: n(s.booksFinished), what: s.booksFinished === 1 ? "book finished" : "books finished", color: COLORS.books },
    { value: n(s.moviesWatched), what: s.moviesWatched === 1 ? "movie watched" : "movies watched", color: COLORS.movies },
    { value: n(s.episodes), what: s.episodes === 1 ? "episode watched" : "episodes watched", color: COLORS.episodes },
    { value: n(s.pages), what: "pages read", color: "#76b7b2" },
  ];
  const parts: string[] = [];
  tiles.forEach((t, i) => {
    const x = 40 + (i % 2) * 370;
    const y = 80 + Math.floor(i / 2) * 150;
    parts.push(`<rect x="${x}" y="${y}" width="350" height="130" rx="14" fill="${t.color}"/>`);
    parts.push(`<text x="${x + 24}" y="${y + 70}" font-size="48" font-weight="bold" fill="#ffffff">${escapeXml(t.value)}</text>`);
    parts.push(`<text x="${x + 24}" y="${y + 105}" font-size="20" fill="#ffffff">${escapeXml(t.what)}</text>`);
  });
  const rating = s.averageRating === null ? "No ratings yet" : `Average rating ${s.averageRating}/5`;
  parts.push(label(40, 420, rating, 20));
  const authors = s.topAuthors.map((a) => `${cut(a.author, 28)} (${a.books})`).join(", ");
  parts.push(label(40, 455, authors ? `Top authors: ${cut(authors, 70)}` : "", 18));
  return frame(`My ${s.year} in review`, parts);
}

// === SVG helpers

function frame(title: string, parts: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${CHART_WIDTH}" height="${CHART_HEIGHT}" viewBox="0 0 ${CHART_WIDTH} ${CHART_HEIGHT}" font-family="DejaVu Sans">`,
    `<rect width="100%" height="100%" fill="${COLORS.paper}"/>`,
    label(CHART_WIDTH / 2, 40, title, 24, "middle", "bold"),
    ...parts,
    `</svg>`,
  ].join("\n");
}

function label(x: number, y: number, text: string, size: number, anchor: "start" | "middle" | "end" = "start", weight = "normal"): string {
  return `<text x="${fix(x)}" y="${fix(y)}" font-size="${size}" font-weight="${weight}" text-anchor="${anchor}" fill="${COLORS.ink}">${escapeXml(text)}</text>`;
}

/** Names come from people: nothing in them may become markup. */
export function escapeXml(text: string): string {
  // Control characters are not allowed in XML 1.0 at all.
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function cut(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("")}…`;
}

/** 1, 2, 5, 10, 20, 50… so that an axis has at most about 5 lines. */
function niceStep(max: number): number {
  const raw = max / 5;
  const power = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}

function fix(n: number): string {
  return n.toFixed(1);
}
