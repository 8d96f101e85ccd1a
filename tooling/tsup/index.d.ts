import type { Options } from 'tsup';

/** Options a package passes: its entry points and anything to keep external. */
export interface PackageBuildOptions {
  entry: Record<string, string> | string[];
  external?: string[];
  /** Dependencies to bundle into the output (fewer files to load at start-up). */
  noExternal?: string[];
}

/** The shared tsup configuration: ESM + CJS + declarations, Node 20 target. */
export declare function definePackageConfig(options: PackageBuildOptions): Options | Options[];
