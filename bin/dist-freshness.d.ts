// Types of bin/dist-freshness.js (plain JavaScript: it runs before tsx is registered).
export declare const repositoryRoot: string;
export declare const STAMP_FILE: string;
export declare function newestSourceMtimeMs(root?: string): number;
export type DistFreshness = { state: 'fresh' } | { state: 'missing' | 'stale'; reason: string };
export declare function distFreshness(root?: string): DistFreshness;
