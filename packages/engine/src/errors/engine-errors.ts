/** Stable codes of this package's errors. */
export type EngineErrorCode =
  | 'ERR_CACHE_ARTIFACT_INVALID'
  | 'ERR_CACHE_ARTIFACT_INCOMPATIBLE'
  | 'ERR_CACHE_NATIVE_UNAVAILABLE'
  | 'ERR_CACHE_PRODUCER_FAILED'
  | 'ERR_CACHE_ENGINE_CLOSED'
  | 'ERR_CACHE_INVALID_ARGUMENT';

/** The base class of this package's errors: every one has a stable `code`. */
export class EngineError extends Error {
  constructor(
    /** Stable code for programmatic handling. */
    readonly code: EngineErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Why an artifact failed verification; each is counted separately. */
export type ArtifactDefect =
  | 'truncated'
  | 'bad-magic'
  | 'unsupported-version'
  | 'length-mismatch'
  | 'checksum-mismatch'
  | 'module-mismatch'
  | 'header-mismatch'
  | 'not-v8-code';

/** An artifact is damaged or does not belong to the given module bytes. Nothing of it reached V8. */
export class ArtifactInvalidError extends EngineError {
  constructor(
    /** What was wrong. */
    readonly defect: ArtifactDefect,
    detail: string,
  ) {
    super('ERR_CACHE_ARTIFACT_INVALID', `Invalid artifact (${defect}): ${detail}`);
  }
}

/** An artifact is intact but was made by an engine with another fingerprint (Node/V8 version, CPU features, V8 flags). */
export class ArtifactIncompatibleError extends EngineError {
  constructor(
    /** The artifact's engine fingerprint. */
    readonly artifactFingerprint: string,
    /** This engine's fingerprint. */
    readonly engineFingerprint: string,
  ) {
    super(
      'ERR_CACHE_ARTIFACT_INCOMPATIBLE',
      `Artifact was compiled for engine ${artifactFingerprint}, but this engine is ${engineFingerprint} ` +
        '(another Node.js/V8 version, CPU features or V8 flags, or another artifact layout of @cache/engine); precompile it again with this engine',
    );
  }
}

/** The native addon is not usable here, and the operation needs it (precompile, deserialize). */
export class NativeUnavailableError extends EngineError {
  constructor(reason: string) {
    super('ERR_CACHE_NATIVE_UNAVAILABLE', `V8's compiled-code cache is not available in this process: ${reason}`);
  }
}

/** The background process that produces optimized artifacts failed. */
export class ProducerError extends EngineError {
  /** V8's header of the producer's code, when it was not the one expected (the engine fingerprint is then wrong). */
  readonly producerHeader: string | undefined;

  constructor(message: string, options?: { cause?: unknown; producerHeader?: string }) {
    super('ERR_CACHE_PRODUCER_FAILED', message, options);
    this.producerHeader = options?.producerHeader;
  }
}

/** An argument was of the wrong type. */
export class EngineArgumentError extends EngineError {
  constructor(message: string) {
    super('ERR_CACHE_INVALID_ARGUMENT', message);
  }
}

/** What a wrong argument is, for an error message: `null`, its type, or an object's class. */
export function describeArgument(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return `an object (${(Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor?.name ?? 'no prototype'})`;
}
