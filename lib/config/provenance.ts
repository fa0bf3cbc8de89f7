// The provenance of a resolved value: shared by the layers and the guard rails that read them.

/** Where a value came from. */
export interface Source {
  readonly layer: 'defaults' | 'environment' | 'secrets' | 'process-env';
  /** `file:line`, or the variable's name for the process environment. */
  readonly at: string;
}

/** One key of the resolved configuration. */
export interface ResolvedValue {
  readonly key: string;
  readonly value: string;
  readonly source: Source;
  /** The lower layers' sources this value replaced, lowest first. */
  readonly overrides: readonly Source[];
}
