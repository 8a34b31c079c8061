// /privacy (what is stored, where) and /forget (delete all of the chat's data, after confirmation).
import type { ButtonRoute, CommandRoute } from "../routes.js";

export const privacyCommands: CommandRoute[] = [];
export const privacyButtons: ButtonRoute[] = [];
