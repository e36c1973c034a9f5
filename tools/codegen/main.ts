// `npm run gen` writes src/protocol/messages/generated/ from spec/kafka-protocol/; `npm run gen:check` compares
// instead of writing and exits 1 listing every file that differs, is missing, or should not be there.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from './generate.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const specRoot = join(root, 'spec', 'kafka-protocol');
const outDir = join(root, 'src', 'protocol', 'messages', 'generated');

function listFiles(dir: string, base = dir, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) listFiles(full, base, out);
    else out.push(relative(base, full).split('\\').join('/'));
  }
  return out;
}

function main(argv: readonly string[]): number {
  const check = argv.includes('--check');
  const files = generate(specRoot);
  const existing = new Set(listFiles(outDir));
  const problems: string[] = [];
  for (const [file, text] of files) {
    const path = join(outDir, file);
    const current = existing.has(file) ? readFileSync(path, 'utf8') : null;
    existing.delete(file);
    if (current === text) continue;
    if (check) {
      problems.push(`${current === null ? 'missing' : 'differs'}: ${relative(root, path)}`);
    } else {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
    }
  }
  for (const stale of [...existing].sort()) {
    if (check) problems.push(`not generated: ${relative(root, join(outDir, stale))}`);
    else rmSync(join(outDir, stale));
  }
  if (check) {
    if (problems.length > 0) {
      console.error(`generated code is out of date (run npm run gen):\n  ${problems.join('\n  ')}`);
      return 1;
    }
    console.log(`generated code is up to date (${files.size} files)`);
    return 0;
  }
  console.log(`wrote ${files.size} files to ${relative(root, outDir)}`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
