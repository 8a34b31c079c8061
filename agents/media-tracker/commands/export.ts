// /export: the chat's whole list as documents.
import type { ButtonRoute, CommandRoute } from "../routes.js";

export const exportCommands: CommandRoute[] = [];
export const exportButtons: ButtonRoute[] = [];
