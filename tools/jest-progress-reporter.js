// A jest reporter that makes a hang impossible to miss (plain JavaScript: jest loads
// reporters without transforming them).
//
// 1. Progress log: one line per test file start and end and per test case start, appended
//    to JEST_PROGRESS_FILE (default coverage/jest-progress.log). tools/run-jest.sh reads it
//    when its time limit runs out, to name the files and tests that had not finished.
// 2. Exit guard: once the run is complete, jest must exit by itself. If it is still alive
//    JEST_EXIT_GRACE_S seconds later (default 60: the global teardown stops the broker in
//    that time), something a test started is holding the process. The guard prints the
//    handles left and the test files after which they appeared, and exits with status 1.
//    Its timer is unref'd: it never keeps a healthy process alive.
const fs = require('node:fs');
const path = require('node:path');

function resourceCounts() {
  const counts = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

function grown(before, after) {
  const out = [];
  for (const [type, n] of Object.entries(after)) {
    const delta = n - (before[type] ?? 0);
    if (delta > 0) out.push(`+${delta} ${type}`);
  }
  return out;
}

class ProgressReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
    this.file =
      process.env.JEST_PROGRESS_FILE ?? path.join(this.rootDir, 'coverage', 'jest-progress.log');
    this.graceMs = Number(process.env.JEST_EXIT_GRACE_S ?? 60) * 1000;
    /** [file, handles that appeared while it ran] in the order files finished. */
    this.growth = [];
    this.before = new Map();
    /** Files with a failed test: a test that failed half-way is the usual one to leak. */
    this.failed = [];
  }

  log(line) {
    try {
      // Epoch milliseconds first: tools/run-jest.sh reads the log with awk.
      fs.appendFileSync(this.file, `${Date.now()} ${new Date().toISOString()} ${line}\n`);
    } catch {
      // A progress line is a diagnostic aid, never a reason to fail the run.
    }
  }

  relative(testPath) {
    return path.relative(this.rootDir, testPath);
  }

  onRunStart() {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    fs.writeFileSync(this.file, '');
    this.log(`run-start pid=${process.pid}`);
  }

  onTestFileStart(test) {
    this.before.set(test.path, resourceCounts());
    this.log(`file-start ${this.relative(test.path)}`);
  }

  onTestCaseStart(test, info) {
    this.log(`case-start ${this.relative(test.path)} :: ${info.fullName}`);
  }

  onTestCaseResult(test, result) {
    this.log(`case-end ${this.relative(test.path)} :: ${result.fullName} ${result.status}`);
  }

  onTestFileResult(test, result) {
    const failed = result.numFailingTests > 0 || result.testExecError !== undefined;
    this.log(`file-end ${this.relative(test.path)} ${failed ? 'failed' : 'passed'}`);
    if (failed) this.failed.push(this.relative(test.path));
    // Only meaningful when files run in this process (in band), as on a 2-core machine.
    const added = grown(this.before.get(test.path) ?? {}, resourceCounts());
    if (added.length > 0) this.growth.push([this.relative(test.path), added]);
  }

  onRunComplete() {
    this.log('run-complete');
    const timer = setTimeout(() => {
      const handles = Object.entries(resourceCounts())
        .map(([type, n]) => `${n} ${type}`)
        .join(', ');
      const suspects =
        this.growth.length === 0
          ? '  (no file left more handles than it found; files ran in worker processes?)'
          : this.growth.map(([file, added]) => `  ${file}: ${added.join(', ')}`).join('\n');
      process.stderr.write(
        `\njest did not exit ${this.graceMs / 1000} s after the run completed: something a test ` +
          `started is still running.\nhandles alive: ${handles}\n` +
          `test files after which handles remained:\n${suspects}\n` +
          `test files with a failed test (a test stopped half-way leaves what it started): ` +
          `${this.failed.join(', ') || 'none'}\nexiting with status 1\n`,
      );
      this.log('exit-guard fired');
      process.exit(1);
    }, this.graceMs);
    timer.unref();
  }
}

module.exports = ProgressReporter;
