import { readFile } from 'node:fs/promises';
import { decodeArtifact, engineFingerprint, ArtifactInvalidError } from '@cache/engine';
import { readSerializedHeader } from '@cache/v8';
import { CliError, EXIT } from '../errors/cli-error.js';
import { formatBytes, out, table } from '../output/style.js';

/** `inspect <artifact>`: what an artifact file holds, and whether this process can load it. */
export async function inspectArtifact(file: string, options: { json?: boolean }): Promise<void> {
  const bytes = await readFile(file).catch((error: Error) => {
    throw new CliError(`cannot read ${file}: ${error.message}`, EXIT.io);
  });
  let fields;
  try {
    fields = decodeArtifact(bytes);
  } catch (error) {
    if (error instanceof ArtifactInvalidError) throw new CliError(`${file}: ${error.message}`);
    throw error;
  }
  const fingerprint = await engineFingerprint();
  const header = readSerializedHeader(fields.payload);
  const compatible = fingerprint.ok ? fingerprint.fingerprint.id === fields.fingerprintId && fingerprint.fingerprint.header.hex === header.hex : false;
  const report = {
    file,
    bytes: bytes.byteLength,
    tier: fields.tier,
    moduleHash: fields.moduleHash,
    engineFingerprint: fields.fingerprintId,
    v8Header: header.hex,
    codeBytes: fields.payload.byteLength,
    optimizingCompileMs: fields.compileMs,
    loadableHere: compatible,
    thisEngine: fingerprint.ok ? fingerprint.fingerprint.id : null,
  };
  if (options.json) {
    console.log(JSON.stringify(report, null, 2));
    return;
  }
  console.log(
    table([
      [out.bold('artifact'), file],
      [out.bold('size'), `${formatBytes(report.bytes)} (V8 code ${formatBytes(report.codeBytes)})`],
      [out.bold('tier'), `${report.tier} (every function compiled by TurboFan)`],
      [out.bold('module hash'), report.moduleHash],
      [out.bold('engine fingerprint'), report.engineFingerprint],
      [out.bold('V8 header'), report.v8Header],
      [out.bold('optimizing compile'), `${report.optimizingCompileMs} ms`],
      [out.bold('loadable here'), compatible ? out.green('yes') : out.yellow(`no (this engine is ${report.thisEngine ?? 'unavailable'})`)],
    ]),
  );
}
