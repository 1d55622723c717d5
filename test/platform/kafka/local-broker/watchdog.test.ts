import { WATCHDOG_NAME, watchdogArgs } from '../../../../platform/kafka/local-broker/watchdog';

describe('watchdogArgs', () => {
  const spec = {
    command: ['java', '-cp', 'libs/*', 'kafka.Kafka', 'server.properties'],
    pidFile: '/b/broker.pid',
    graceMs: 10_000,
    outputFd: 1,
    cwd: '/b',
  };

  it('passes parent, grace in tenths of a second, pid file, remove dir, detach file, command', () => {
    const args = watchdogArgs({ ...spec, removeDir: '/b', detachFile: '/b/detached' }, 1234);
    expect(args[0]).toBe('-c');
    expect(args.slice(2)).toEqual([
      WATCHDOG_NAME,
      '1234',
      '100',
      '/b/broker.pid',
      '/b',
      '/b/detached',
      'java',
      '-cp',
      'libs/*',
      'kafka.Kafka',
      'server.properties',
    ]);
  });

  it('passes empty strings for no directory to remove and no detach file', () => {
    expect(watchdogArgs(spec, 1).slice(6, 8)).toEqual(['', '']);
  });

  it('rounds the grace period up to whole tenths', () => {
    expect(watchdogArgs({ ...spec, graceMs: 250 }, 1)[4]).toBe('3');
  });
});
