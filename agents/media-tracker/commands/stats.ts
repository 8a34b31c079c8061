// /stats [year]: the year in numbers (a text) and in pictures (three PNG charts sent with sendPhoto).
// The numbers come from the history; the charts are rendered inside one journaled run, so a crash
// after it replays the same pictures instead of drawing (and sending) a second set.
import { CHART_NAMES, type ChartName, MAX_CHART_BYTES, renderChart } from "../stats/charts.js";
import { type YearStats, computeStats, statsText, yearRange } from "../stats/compute.js";
import type { CommandRoute } from "../routes.js";
import type { Turn } from "../turn.js";

const CAPTIONS: Record<ChartName, (year: number) => string> = {
  months: (y) => `${y}: books, movies and episodes per month`,
  ratings: (y) => `${y}: your ratings`,
  year: (y) => `${y} in review`,
};

export const statsCommands: CommandRoute[] = [
  {
    name: "stats",
    description: "your year in numbers and charts: /stats or /stats 2024",
    async run(turn, args) {
      const today = new Date(turn.ctx.now());
      const text = args.trim();
      if (text && !/^\d{4}$/.test(text)) return turn.reply("Send /stats for this year, or a year like /stats 2024.");
      const year = text ? Number(text) : today.getUTCFullYear();
      if (year < 1900 || year > today.getUTCFullYear()) {
        return turn.reply(`I can show a year from 1900 to ${today.getUTCFullYear()}. Try /stats ${today.getUTCFullYear()}.`);
      }
      const stats = await yearStats(turn, year);
      turn.reply(statsText(stats));
      if (stats.booksFinished + stats.moviesWatched + stats.episodes === 0) return;
      const charts = await turn.ctx.run("stats-charts", async () => drawCharts(stats));
      for (const chart of charts) {
        turn.send({ type: "photo", fileName: `stats-${year}-${chart.name}.png`, base64: chart.base64, caption: CAPTIONS[chart.name](year) });
      }
    },
  },
];

export async function yearStats(turn: Turn, year: number): Promise<YearStats> {
  const { from, to } = yearRange(year);
  return computeStats(year, await turn.deps.media.everything(turn.chatId), await turn.deps.media.events(turn.chatId, from, to));
}

function drawCharts(stats: YearStats): Array<{ name: ChartName; base64: string }> {
  return CHART_NAMES.map((name) => ({ name, png: renderChart(name, stats) }))
    .filter((c) => c.png.length <= MAX_CHART_BYTES)
    .map((c) => ({ name: c.name, base64: c.png.toString("base64") }));
}
