import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  JavaNotFoundError,
  KafkaJarsMissingError,
} from '../../../../platform/kafka/local-broker/errors';
import { kafkaClasspath, resolveJava } from '../../../../platform/kafka/local-broker/java';

describe('resolveJava', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'java-test-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function fakeJava(folder: string): string {
    mkdirSync(folder, { recursive: true });
    const file = path.join(folder, 'java');
    writeFileSync(file, '#!/bin/sh\n');
    chmodSync(file, 0o755);
    return file;
  }

  it('says how to get Java when neither JAVA_HOME nor PATH has one', () => {
    const env = { PATH: path.join(dir, 'empty'), JAVA_HOME: undefined };
    expect(() => resolveJava(env)).toThrow(JavaNotFoundError);
    expect(() => resolveJava(env)).toThrow(
      'local broker: java not found in JAVA_HOME or on PATH; the local Kafka broker needs Java 17 or newer (Debian: apt-get install openjdk-17-jdk-headless), or set KAFKA_BROKERS to use an existing cluster',
    );
  });

  it('prefers JAVA_HOME over PATH', () => {
    const home = fakeJava(path.join(dir, 'jdk', 'bin'));
    fakeJava(path.join(dir, 'bin'));
    expect(resolveJava({ JAVA_HOME: path.join(dir, 'jdk'), PATH: path.join(dir, 'bin') })).toBe(
      home,
    );
  });

  it('takes the first executable java on PATH, skipping files that are not executable', () => {
    mkdirSync(path.join(dir, 'a'));
    writeFileSync(path.join(dir, 'a', 'java'), 'not executable');
    const b = fakeJava(path.join(dir, 'b'));
    expect(
      resolveJava({ PATH: [path.join(dir, 'a'), path.join(dir, 'b')].join(path.delimiter) }),
    ).toBe(b);
  });
});

describe('kafkaClasspath', () => {
  it('is libs/* when the broker jar is there', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jars-test-'));
    try {
      mkdirSync(path.join(dir, 'libs'));
      writeFileSync(path.join(dir, 'libs', 'kafka_2.13-3.9.1.jar'), '');
      expect(kafkaClasspath(dir, '3.9.1')).toBe(path.join(dir, 'libs', '*'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names make kafka-jars when the jars are missing', () => {
    expect(() => kafkaClasspath('/nowhere/kafka-3.9.1', '3.9.1')).toThrow(KafkaJarsMissingError);
    expect(() => kafkaClasspath('/nowhere/kafka-3.9.1', '3.9.1')).toThrow(
      'local broker: Kafka 3.9.1 jars not found in /nowhere/kafka-3.9.1/libs; run `make kafka-jars` to resolve them from Maven Central (needs Java 17+ and Maven), or set KAFKA_BROKERS to use an existing cluster',
    );
  });

  it('names the version to pass to make for a non-default Kafka', () => {
    expect(() => kafkaClasspath('/nowhere/kafka-4.1.1', '4.1.1')).toThrow(
      'run `KAFKA_VERSION=4.1.1 make kafka-jars`',
    );
  });
});
