// Stops the broker kafka-global-setup.ts started (nothing when it came from KAFKA_BROKERS).
// Even without this, the launcher's watchdog stops the JVM once jest's process is gone.
export default async function globalTeardown(): Promise<void> {
  const brokers = globalThis.__kafkaStagesBrokers;
  globalThis.__kafkaStagesBrokers = undefined;
  if (brokers?.provider !== 'env') delete process.env.KAFKA_BROKERS;
  await brokers?.stop();
}
