/** A parsed command line: flags (`--name value`, `--flag`) and positional arguments. */
export interface ParsedArgs {
  flags: Map<string, string[]>;
  positional: string[];
}

/**
 * Parses `--name value` / `--name=value` / boolean `--flag` (names listed in `booleans`). Repeated
 * flags accumulate (e.g. several `--conf`). Everything after the first positional is positional.
 */
export function parseArgs(args: string[], booleans: string[] = []): ParsedArgs {
  const flags = new Map<string, string[]>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (positional.length > 0 || !a.startsWith("--")) { positional.push(a); continue; }
    const eq = a.indexOf("=");
    const name = a.slice(2, eq > 0 ? eq : undefined);
    let value: string;
    if (eq > 0) value = a.slice(eq + 1);
    else if (booleans.includes(name)) value = "true";
    else {
      if (i + 1 >= args.length) throw new Error(`--${name} needs a value`);
      value = args[++i];
    }
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  return { flags, positional };
}

/** The last value of a flag, or undefined. */
export function flag(parsed: ParsedArgs, name: string): string | undefined {
  const v = parsed.flags.get(name);
  return v ? v[v.length - 1] : undefined;
}
