import { accessSync, constants, existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { JavaNotFoundError, KafkaJarsMissingError } from './errors';
import { DEFAULT_KAFKA_VERSION } from './options';

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * The java executable the broker runs on: `$JAVA_HOME/bin/java` when that exists, else the
 * first `java` on PATH. Throws {@link JavaNotFoundError} saying how to get one.
 */
export function resolveJava(env: NodeJS.ProcessEnv = process.env): string {
  const candidates: string[] = [];
  if (env.JAVA_HOME) candidates.push(path.join(env.JAVA_HOME, 'bin', 'java'));
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir) candidates.push(path.join(dir, 'java'));
  }
  const found = candidates.find(isExecutable);
  if (found === undefined) {
    throw new JavaNotFoundError(
      'local broker: java not found in JAVA_HOME or on PATH; the local Kafka broker needs ' +
        'Java 17 or newer (Debian: apt-get install openjdk-17-jdk-headless), or set ' +
        'KAFKA_BROKERS to use an existing cluster',
    );
  }
  return found;
}

/**
 * The JVM classpath (`<kafkaHome>/libs/*`) of a resolved Kafka, after checking that the
 * broker's jar is there. Throws {@link KafkaJarsMissingError} naming `make kafka-jars`.
 */
export function kafkaClasspath(kafkaHome: string, kafkaVersion: string): string {
  const libs = path.join(kafkaHome, 'libs');
  if (!existsSync(path.join(libs, `kafka_2.13-${kafkaVersion}.jar`))) {
    const make =
      kafkaVersion === DEFAULT_KAFKA_VERSION
        ? 'make kafka-jars'
        : `KAFKA_VERSION=${kafkaVersion} make kafka-jars`;
    throw new KafkaJarsMissingError(
      `local broker: Kafka ${kafkaVersion} jars not found in ${libs}; run \`${make}\` to ` +
        'resolve them from Maven Central (needs Java 17+ and Maven), or set KAFKA_BROKERS ' +
        'to use an existing cluster',
    );
  }
  return path.join(libs, '*');
}
