// Placeholder: the broker work replaces this with the one-broker-per-run setup.
export default async function globalSetup(): Promise<void> {}
