// Types of build.mjs (plain JavaScript, so that `npm ci` and `npm start` need no compiler).
export declare const ROOT: string;
export declare const BUNDLE: string;
export declare function newestSourceMs(): number;
export declare function isStale(bundle?: string): boolean;
export declare function buildBundle(outfile?: string, options?: { movable?: boolean }): Promise<void>;
export declare const WORKER_NAME: string;
export declare function ingestWorkerForSources(): Promise<string>;
