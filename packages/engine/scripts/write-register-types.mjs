// Writes dist/register.d.ts after the build. The --import hook's declaration must refer to the
// main entry's Engine type (one declaration, not a copy), and tsup's declaration step for the
// main entry cleans *.d.ts files while it runs, so it is written here, last.
import { writeFileSync } from 'node:fs';

writeFileSync(
  new URL('../dist/register.d.ts', import.meta.url),
  "/** The engine the hook routes through, when it is installed. */\nexport declare const registeredEngine: import('@cache/engine').Engine | undefined;\n",
);
