export interface AdminCommand {
  /** dotted lower-case name, e.g. "dispatcher.set_state" */
  readonly name: string;
  /** one line an operator reads in `GET /admin` */
  readonly help: string;
  /** parameter names with a one-line description each */
  readonly params?: Readonly<Record<string, string>>;
  /**
   * true when running it changes state (bans, destination states, lists,
   * counters): then it takes POST only, needs an admin token (not a read
   * one) and each call writes an audit line.
   */
  readonly mutates: boolean;
  /** parameters holding secrets (passwords, files of them): the audit line shows "(secret)" instead of their value */
  readonly secretParams?: readonly string[];
  run(params: Record<string, unknown>): unknown | Promise<unknown>;
}

export type AdminResult = { ok: true; result: unknown } | { ok: false; status: number; error: string };

/** A command may throw this to answer with a specific HTTP status (400 for bad params...). */
export class AdminError extends Error {
  constructor(message: string, readonly status = 400) {
    super(message);
  }
}

const NAME_RE = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;

export class AdminRegistry {
  private readonly commands = new Map<string, AdminCommand>();

  register(cmd: AdminCommand): void {
    if (!NAME_RE.test(cmd.name)) throw new Error(`admin command name "${cmd.name}" must be dotted lower-case like "dispatcher.list"`);
    if (this.commands.has(cmd.name)) throw new Error(`admin command "${cmd.name}" registered twice`);
    this.commands.set(cmd.name, cmd);
  }

  get(name: string): AdminCommand | undefined {
    return this.commands.get(name);
  }

  list(): { name: string; help: string; mutates: boolean; params: Record<string, string> }[] {
    return [...this.commands.values()]
      .map((c) => ({ name: c.name, help: c.help, mutates: c.mutates, params: { ...(c.params ?? {}) } }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async run(name: string, params: Record<string, unknown>): Promise<AdminResult> {
    const cmd = this.commands.get(name);
    if (!cmd) return { ok: false, status: 404, error: `unknown command "${name}"; GET /admin lists them` };
    for (const key of Object.keys(params)) {
      if (!cmd.params || !(key in cmd.params)) return { ok: false, status: 400, error: `command "${name}" has no parameter "${key}"` };
    }
    try {
      return { ok: true, result: await cmd.run(params) };
    } catch (err) {
      if (err instanceof AdminError) return { ok: false, status: err.status, error: err.message };
      return { ok: false, status: 500, error: err instanceof Error ? err.message : String(err) };
    }
  }
}
