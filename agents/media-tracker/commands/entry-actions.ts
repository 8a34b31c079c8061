// The buttons under a listed entry: edit, rate, change status, delete (with confirmation).
import type { ButtonRoute } from "../routes.js";

export const entryButtons: ButtonRoute[] = [];
