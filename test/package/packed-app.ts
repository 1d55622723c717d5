// Builds what a user of the package has: the tarball of `npm pack`, installed into an empty
// project of its own, with TypeScript, compiling the user's files against the installed
// package's types. Offline: every package comes from the npm cache that `npm ci` (make deps)
// filled, through a lockfile made from this project's own lock (its production tree, the
// versions the tests ran with), so `npm ci --offline` needs no registry metadata.
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';

export const ROOT = resolve(__dirname, '../..');
const exec = promisify(execFile);

/** The environment for npm and node children: npm runs on the node running the tests. */
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    npm_config_loglevel: 'warn',
    ...extra,
  };
}

/** Runs a command; on failure the error message carries its output. */
export async function run(
  file: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv = childEnv(),
  timeoutMs = 300_000,
): Promise<{ stdout: string; stderr: string }> {
  try {
    return await exec(file, args, { cwd, env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const e = error as Error & { stdout?: string; stderr?: string };
    throw new Error(
      `${file} ${args.join(' ')} (in ${cwd}) failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`,
    );
  }
}

interface LockEntry {
  version?: string;
  resolved?: string;
  dev?: boolean;
  link?: boolean;
  dependencies?: Record<string, string>;
  [key: string]: unknown;
}
interface Lock {
  packages: Record<string, LockEntry>;
}

/** `node_modules/a/node_modules/@s/b` -> `@s/b`. */
const nameOf = (path: string) =>
  path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);

/** The registry address of a locked package, as the npm cache keys its tarball. */
function withResolved(path: string, entry: LockEntry): LockEntry {
  if (entry.resolved !== undefined || entry.link) return entry;
  const name = nameOf(path);
  const base = name.split('/').pop();
  return {
    ...entry,
    resolved: `https://registry.npmjs.org/${name}/-/${base}-${entry.version}.tgz`,
  };
}

/** Lock entries of `name` and what it depends on, hoisted as in this project's lock. */
function closure(lock: Lock, name: string, into: Map<string, LockEntry>): void {
  const path = `node_modules/${name}`;
  const entry = lock.packages[path];
  if (entry === undefined) throw new Error(`package-lock.json has no ${path}`);
  if (into.has(path)) return;
  into.set(path, entry);
  for (const dep of Object.keys(entry.dependencies ?? {})) closure(lock, dep, into);
}

/** The installed package, its project, and the files of the tarball. */
export interface PackedApp {
  /** The user's project: package.json, node_modules (kafka-stages and its dependencies). */
  readonly dir: string;
  /** Paths inside the tarball, as `npm pack --json` lists them. */
  readonly files: readonly string[];
  /** Compiles `sources` (name -> text) with the project's own tsc into `dist/`. */
  compile(sources: Record<string, string>): Promise<void>;
  /** Removes everything it made. */
  remove(): Promise<void>;
}

/**
 * `npm pack`, then an empty project that installs the tarball. The package is packed from a
 * staging copy (package.json, README, bin, and dist/ compiled there as `prepack` does), so
 * the checkout's own dist/, which other tests run, is never rewritten under them.
 */
export async function packAndInstall(): Promise<PackedApp> {
  const base = await mkdtemp(join(tmpdir(), 'kafka-stages-package-'));
  const remove = () => rm(base, { recursive: true, force: true });
  try {
    const staging = join(base, 'package');
    await mkdir(join(staging, 'bin'), { recursive: true });
    for (const file of ['package.json', 'README.md', 'bin/kafka-stages']) {
      await cp(join(ROOT, file), join(staging, file), { preserveTimestamps: true });
    }
    await run(
      process.execPath,
      [
        join(ROOT, 'node_modules/typescript/bin/tsc'),
        '-p',
        join(ROOT, 'tsconfig.build.json'),
        '--outDir',
        join(staging, 'dist'),
      ],
      ROOT,
    );
    const packed = await run(
      'npm',
      ['pack', '--ignore-scripts', '--json', '--pack-destination', base],
      staging,
    );
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as {
      filename: string;
      files: { path: string }[];
    }[];
    const tarball = `file:../${info!.filename}`;
    const dir = join(base, 'app');
    await mkdir(dir);

    const lock = JSON.parse(await readFile(join(ROOT, 'package-lock.json'), 'utf8')) as Lock;
    const own = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
      version: string;
      dependencies: Record<string, string>;
      bin: Record<string, string>;
      engines: Record<string, string>;
    };
    const devTools = new Map<string, LockEntry>();
    for (const tool of ['typescript', '@types/node']) closure(lock, tool, devTools);
    const devDependencies = {
      typescript: lock.packages['node_modules/typescript']!.version!,
      '@types/node': lock.packages['node_modules/@types/node']!.version!,
    };
    const packages: Record<string, LockEntry> = {
      '': {
        name: 'quickstart-app',
        version: '1.0.0',
        dependencies: { 'kafka-stages': tarball },
        devDependencies,
      },
      'node_modules/kafka-stages': {
        version: own.version,
        resolved: tarball,
        dependencies: own.dependencies,
        bin: own.bin,
        engines: own.engines,
      },
    };
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (path !== '' && !entry.dev) packages[path] = withResolved(path, entry);
    }
    for (const [path, entry] of devTools)
      packages[path] = withResolved(path, { ...entry, dev: true });

    const manifest = {
      name: 'quickstart-app',
      version: '1.0.0',
      private: true,
      type: 'module',
      dependencies: { 'kafka-stages': tarball },
      devDependencies,
    };
    await writeFile(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
    await writeFile(
      join(dir, 'package-lock.json'),
      JSON.stringify({ ...manifest, lockfileVersion: 3, requires: true, packages }, null, 2),
    );
    await run('npm', ['ci', '--offline'], dir).catch((error: Error) => {
      throw /ENOTCACHED/.test(error.message)
        ? new Error(
            `the npm cache lacks a package of the tree (run \`npm ci\`, i.e. make deps, first): ${error.message}`,
          )
        : error;
    });
    return {
      dir,
      files: info!.files.map((f) => f.path),
      async compile(sources) {
        for (const [name, text] of Object.entries(sources)) await writeFile(join(dir, name), text);
        const tsconfig = {
          compilerOptions: {
            target: 'ES2023',
            module: 'nodenext',
            moduleResolution: 'nodenext',
            strict: true,
            outDir: 'dist',
            types: ['node'],
          },
          files: Object.keys(sources),
        };
        await writeFile(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
        await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', '.'], dir);
      },
      remove,
    };
  } catch (error) {
    await remove();
    throw error;
  }
}
