// The one error the configuration layer throws. It carries every problem found, one line each, so an
// operator fixes them all in one go instead of one per restart.
export class ConfigError extends Error {
  readonly problems: string[];

  constructor(problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

// Long values (a whole file that is not an object, a long list) are cut so each problem stays one line.
const MAX_SHOWN = 80;

function shown(value: unknown): string {
  const text = JSON.stringify(value);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 3)}...` : text;
}

/** One problem line: `<label>: <why>`, and `, got <value as JSON>` when the offending value is given. */
export function problem(label: string, why: string, got?: unknown): string {
  return got === undefined ? `${label}: ${why}` : `${label}: ${why}, got ${shown(got)}`;
}
