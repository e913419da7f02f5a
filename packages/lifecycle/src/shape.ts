// One check for the injectable options (process, clock, logger, cluster worker): an object that
// has each of the named methods. What a check says when it fails stays with its option.

/** True when `value` is an object (not null, not a function) with a function under each name. */
export function hasMethods(value: unknown, names: readonly string[]): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return names.every((name) => typeof record[name] === 'function');
}
