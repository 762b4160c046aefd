// sbcctl: the admin API from a shell, in the spirit of kamcmd.
//   sbcctl dispatcher.list
//   sbcctl htable.delete ipban 198.51.100.7
//   sbcctl --json pike.top n=5
// Positional arguments fill the command's parameters in the order it lists
// them; name=value sets one by name. Values are JSON when they parse as JSON;
// name=@FILE sends the file's text (sbcctl subscriber.import text=@users.txt).
// Its variables are SBCCTL_*, not SBC_*: a node refuses SBC_* variables its
// config does not know, and both may share a container's environment.
import { existsSync, readFileSync } from 'node:fs';
import { CtlError, EXIT, listCommands, runCommand, type CommandInfo, type Endpoint } from './client.ts';
import { render, renderTable } from './table.ts';

const USAGE = `usage: sbcctl [options] <command> [param ...] [name=value ...] [name=@FILE ...]
       sbcctl [options] list              the commands this node offers
       sbcctl [options] help <command>    a command's help and parameters

options:
  --url URL          admin API base URL (env SBCCTL_URL; default http://127.0.0.1:9060)
  --token TOKEN      bearer token (env SBCCTL_TOKEN)
  --token-file FILE  file holding the token, or a tokens file (first line's token) (env SBCCTL_TOKEN_FILE;
                     default .sbc/admin-tokens when it exists, the file npm start creates)
  --json             print the result as JSON (for scripts)
  --timeout MS       give up after MS milliseconds (default 10000)
  -h, --help         this text

exit codes: 0 done, 1 the command failed, 2 usage (bad option, unknown command or parameter),
            3 node unreachable or timed out, 4 unauthorized or forbidden`;

interface Options {
  endpoint: Endpoint;
  json: boolean;
  words: string[];
}

/** The first token of a file: a bare token, or the third field of the first "<name> <role> <token>" line. */
export function tokenFromFile(file: string): string {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (err) { throw new CtlError(`cannot read token file ${file}: ${(err as Error).message}`, EXIT.usage); }
  const line = text.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('#'));
  if (line === undefined) throw new CtlError(`token file ${file} holds no token`, EXIT.usage);
  const fields = line.split(/\s+/);
  return fields[fields.length - 1];
}

export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv): Options {
  let url = env.SBCCTL_URL ?? 'http://127.0.0.1:9060';
  let token = env.SBCCTL_TOKEN;
  let tokenFile = env.SBCCTL_TOKEN_FILE;
  let json = false;
  let timeoutMs = 10_000;
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new CtlError(`${a} needs a value\n${USAGE}`, EXIT.usage);
      return v;
    };
    if (a === '--url') url = value();
    else if (a === '--token') token = value();
    else if (a === '--token-file') tokenFile = value();
    else if (a === '--json') json = true;
    else if (a === '--timeout') timeoutMs = Number(value());
    else if (a === '-h' || a === '--help') words.splice(0, words.length, 'help');
    else if (a.startsWith('-') && words.length === 0) throw new CtlError(`unknown option ${a}\n${USAGE}`, EXIT.usage);
    else words.push(a);
  }
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new CtlError('--timeout needs a positive number of milliseconds', EXIT.usage);
  if (token === undefined && tokenFile === undefined && existsSync('.sbc/admin-tokens')) tokenFile = '.sbc/admin-tokens';
  if (token === undefined && tokenFile !== undefined) token = tokenFromFile(tokenFile);
  return { endpoint: { url, token, timeoutMs }, json, words };
}

const asValue = (s: string): unknown => { try { return JSON.parse(s); } catch { return s; } };

/** name=@FILE: the file's text, as is (a subscriber list, a permissions document). */
function namedValue(text: string): unknown {
  if (!text.startsWith('@')) return asValue(text);
  try {
    return readFileSync(text.slice(1), 'utf8');
  } catch (err) {
    throw new CtlError(`cannot read ${text.slice(1)}: ${(err as Error).message}`, EXIT.usage);
  }
}

/** Positional words fill the parameters in the command's order; name=value sets one by name. */
export function paramsFor(cmd: CommandInfo, args: readonly string[]): Record<string, unknown> {
  const names = Object.keys(cmd.params);
  const params: Record<string, unknown> = {};
  let next = 0;
  for (const arg of args) {
    const eq = arg.indexOf('=');
    const named = eq > 0 ? arg.slice(0, eq) : undefined;
    if (named !== undefined && names.includes(named)) { params[named] = namedValue(arg.slice(eq + 1)); continue; }
    while (next < names.length && names[next] in params) next++;
    if (next >= names.length) throw new CtlError(`${cmd.name} takes ${names.length === 0 ? 'no parameters' : `${names.length} parameter(s): ${names.join(', ')}`}; "${arg}" is one too many`, EXIT.usage);
    params[names[next++]] = asValue(arg);
  }
  return params;
}

function helpOf(cmd: CommandInfo): string {
  const params = Object.entries(cmd.params).map(([k, v]) => `  ${k}: ${v}`);
  return [`${cmd.name}${cmd.mutates ? ' (changes state: admin token)' : ''}`, `  ${cmd.help}`, ...(params.length ? ['parameters, in order:', ...params] : [])].join('\n');
}

export async function run(argv: readonly string[], env: NodeJS.ProcessEnv, out: (s: string) => void): Promise<number> {
  const opts = parseArgs(argv, env);
  const [name, ...args] = opts.words;
  if (name === undefined || (name === 'help' && args.length === 0)) { out(USAGE); return name === undefined ? EXIT.usage : EXIT.ok; }
  const commands = await listCommands(opts.endpoint);
  if (name === 'list') {
    out(opts.json ? JSON.stringify(commands, null, 2) : renderTable(commands.map((c) => ({ command: c.name, mutates: c.mutates ? 'yes' : 'no', help: c.help }))));
    return EXIT.ok;
  }
  const wanted = name === 'help' ? args[0] : name;
  const cmd = commands.find((c) => c.name === wanted);
  if (cmd === undefined) throw new CtlError(`unknown command "${wanted}"; sbcctl list shows the commands`, EXIT.usage);
  if (name === 'help') { out(opts.json ? JSON.stringify(cmd, null, 2) : helpOf(cmd)); return EXIT.ok; }
  const result = await runCommand(opts.endpoint, cmd.name, paramsFor(cmd, args));
  out(opts.json ? JSON.stringify(result, null, 2) : render(result));
  return EXIT.ok;
}

export function main(): void {
  run(process.argv.slice(2), process.env, (s) => process.stdout.write(`${s}\n`)).then(
    (code) => { process.exitCode = code; },
    (err: unknown) => {
      process.stderr.write(`sbcctl: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = err instanceof CtlError ? err.exitCode : EXIT.commandFailed;
    },
  );
}
