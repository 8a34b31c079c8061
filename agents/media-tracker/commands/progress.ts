// Progress, quickly: /progress, /watched <show>, /page <book> <n>.
import type { ButtonRoute, CommandRoute } from "../routes.js";

export const progressCommands: CommandRoute[] = [];
export const progressButtons: ButtonRoute[] = [];
