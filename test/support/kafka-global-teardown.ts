// Placeholder: the broker work replaces this.
export default async function globalTeardown(): Promise<void> {}
