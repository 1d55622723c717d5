// The public surface of the stages layer. Hand-curated: add exports here deliberately.
export {};
