// What the container image would give a pod, read from the Dockerfile's final stage (the
// image cannot be built here: no container engine). The local-process run takes its
// entrypoint, working directory and environment from here, and dockerfile.spec.ts checks
// them against what the Deployment renders, so the two cannot drift apart unnoticed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../deploy/support/helm';

export interface ImageConfig {
  entrypoint: string[];
  cmd: string[];
  workdir: string;
  user: string;
  env: Record<string, string>;
  expose: number[];
  /** `COPY` lines of the final stage: `--from=<stage>` (if any), sources, destination. */
  copies: { from?: string; sources: string[]; dest: string }[];
  /** The command of HEALTHCHECK, exec form. */
  healthcheck?: string[];
}

function execForm(args: string, what: string): string[] {
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string'))
    throw new Error(`Dockerfile ${what} is not in exec form: ${args}`);
  return parsed;
}

/** Parses the Dockerfile's final stage (continuation lines joined, comments dropped). */
export function imageConfig(text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')): ImageConfig {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  let stage: string[] = [];
  for (const line of lines) {
    if (/^FROM\s/i.test(line)) stage = [];
    stage.push(line);
  }
  const config: ImageConfig = {
    entrypoint: [],
    cmd: [],
    workdir: '/',
    user: 'root',
    env: {},
    expose: [],
    copies: [],
  };
  for (const line of stage) {
    const [, keyword = '', rest = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const args = rest.replace(/\s+/g, ' ');
    switch (keyword.toUpperCase()) {
      case 'ENTRYPOINT':
        config.entrypoint = execForm(args, 'ENTRYPOINT');
        break;
      case 'CMD':
        config.cmd = execForm(args, 'CMD');
        break;
      case 'WORKDIR':
        config.workdir = args.startsWith('/') ? args : join(config.workdir, args);
        break;
      case 'USER':
        config.user = args;
        break;
      case 'ENV':
        for (const [, k = '', v = ''] of args.matchAll(/(\w+)=("[^"]*"|\S+)/g))
          config.env[k] = v.replace(/^"|"$/g, '');
        break;
      case 'EXPOSE':
        config.expose.push(...args.split(' ').map((p) => Number.parseInt(p, 10)));
        break;
      case 'COPY': {
        const words = args.split(' ');
        const from = words[0]?.startsWith('--from=')
          ? words.shift()?.slice('--from='.length)
          : undefined;
        const dest = words.pop() ?? '';
        config.copies.push({
          ...(from ? { from } : {}),
          sources: words,
          dest: join(config.workdir, dest),
        });
        break;
      }
      case 'HEALTHCHECK': {
        const cmd = /\bCMD (\[.*\])$/.exec(args)?.[1];
        if (cmd) config.healthcheck = execForm(cmd, 'HEALTHCHECK CMD');
        break;
      }
    }
  }
  return config;
}
