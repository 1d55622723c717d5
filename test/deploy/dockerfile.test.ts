import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './support/helm';

// What this checks: the Dockerfile's structure, read as text (stages, base image, user,
// exec form, no secrets). What it cannot check: that the image builds and runs; there is no
// Docker engine here (`make image` builds it where one exists).

interface Instruction {
  keyword: string;
  args: string;
  stage: number;
}

/** Instructions in order, continuation lines joined, comments dropped, with their stage index. */
function instructions(text: string): Instruction[] {
  const joined = text.replace(/\\\n/g, ' ');
  const result: Instruction[] = [];
  let stage = -1;
  for (const line of joined.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(trimmed) ?? [];
    if (keyword.toUpperCase() === 'FROM') stage += 1;
    result.push({ keyword: keyword.toUpperCase(), args: args.replace(/\s+/g, ' '), stage });
  }
  return result;
}

const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const all = instructions(dockerfile);
const froms = all.filter((i) => i.keyword === 'FROM');
const finalStage = froms.length - 1;
const inFinal = all.filter((i) => i.stage === finalStage);
const globalArgs = new Map(
  all
    .filter((i) => i.keyword === 'ARG' && i.stage === -1)
    .map((i) => i.args.split('=') as [string, string]),
);
const resolve = (text: string) =>
  text.replace(/\$\{(\w+)\}/g, (_m, name: string) => globalArgs.get(name) ?? '');
const stageName = (index: number) => / AS (\S+)$/i.exec(froms[index]?.args ?? '')?.[1];
const isExecForm = (args: string) => {
  try {
    const parsed: unknown = JSON.parse(args);
    return Array.isArray(parsed) && parsed.every((a) => typeof a === 'string');
  } catch {
    return false;
  }
};

describe('Dockerfile', () => {
  it('is multi-stage: a build stage with dev dependencies and tsc, a production-dependencies stage', () => {
    expect(froms.length).toBeGreaterThanOrEqual(2);
    const runs = (stage: number) =>
      all.filter((i) => i.stage === stage && i.keyword === 'RUN').map((i) => i.args);
    const buildStage = froms.findIndex((_f, index) => runs(index).some((r) => /\btsc\b/.test(r)));
    expect(buildStage).toBeGreaterThanOrEqual(0);
    expect(runs(buildStage).some((r) => /npm ci\b/.test(r) && !r.includes('--omit=dev'))).toBe(
      true,
    );
    const depsStage = froms.findIndex((_f, index) =>
      runs(index).some((r) => /npm ci\b.*--omit=dev/.test(r)),
    );
    expect(depsStage).toBeGreaterThanOrEqual(0);
    const copies = inFinal.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    expect(copies).toContain(`--from=${stageName(depsStage)} /app/node_modules ./node_modules`);
    expect(copies.some((c) => c.startsWith(`--from=${stageName(buildStage)} /app/dist/`))).toBe(
      true,
    );
    // The runtime stage builds nothing and installs no npm packages itself.
    expect(inFinal.filter((i) => i.keyword === 'RUN' && /\b(npm|tsc)\b/.test(i.args))).toEqual([]);
  });

  it('runs on a pinned Node 24 slim base', () => {
    for (const from of froms)
      expect(resolve(from.args)).toMatch(
        /^node:24\.\d+(\.\d+)?-[a-z]+-slim(@sha256:[0-9a-f]{64})? AS \w+$/,
      );
  });

  it('runs as a non-root user', () => {
    const users = inFinal.filter((i) => i.keyword === 'USER').map((i) => i.args);
    expect(users.length).toBeGreaterThan(0);
    const last = users[users.length - 1] ?? '';
    expect(last).not.toMatch(/^(root|0)(:|$)/);
    expect(last).toBe('node');
  });

  it('starts Node under tini with exec-form ENTRYPOINT and CMD', () => {
    const entrypoint = inFinal.filter((i) => i.keyword === 'ENTRYPOINT').pop();
    const cmd = inFinal.filter((i) => i.keyword === 'CMD').pop();
    expect(isExecForm(entrypoint?.args ?? '')).toBe(true);
    expect(isExecForm(cmd?.args ?? '')).toBe(true);
    const argv = JSON.parse(entrypoint?.args ?? '[]') as string[];
    expect(argv.slice(0, 3)).toEqual(['/usr/bin/tini', '--', 'node']);
    expect(argv[argv.length - 1]).toBe('dist/platform/cli/main.js');
    expect(
      inFinal.some((i) => i.keyword === 'RUN' && /apt-get install .*\btini\b/.test(i.args)),
    ).toBe(true);
    const healthcheck = inFinal.find((i) => i.keyword === 'HEALTHCHECK');
    if (healthcheck) expect(healthcheck.args).toContain('/healthz');
  });

  it('bakes in no secrets: no ENV or ARG that looks like a credential, no key files copied', () => {
    const secretish = /(PASSWORD|SECRET|TOKEN|CREDENTIAL|PRIVATE|_KEY\b|SASL|API_?KEY)/i;
    const envAndArgs = all.filter((i) => i.keyword === 'ENV' || i.keyword === 'ARG');
    expect(envAndArgs.filter((i) => secretish.test(i.args))).toEqual([]);
    const copies = all.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD');
    expect(copies.filter((i) => /\.(env|pem|key|crt|p12|jks)\b|\.npmrc/.test(i.args))).toEqual([]);
    expect(all.filter((i) => i.keyword === 'ADD')).toEqual([]);
  });

  it('has a .dockerignore that admits only the sources and keeps secrets out', () => {
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    expect(ignore[0]).toBe('**');
    expect(ignore).toEqual(expect.arrayContaining(['**/.env', '**/*.pem', '**/*.key']));
    expect(
      ignore.filter((l) => l.startsWith('!') && /node_modules|dist|\.tools|\.env/.test(l)),
    ).toEqual([]);
  });
});
