#!/usr/bin/env node
/**
 * The zonelb command line. One file per subcommand, loaded only when it runs; each exports
 * `summary`, `usage()` and `run(argv)` returning the exit code. Add a subcommand (sim, bench)
 * by adding a row to COMMANDS.
 */
import { ZonelbError } from '../core/errors.ts';
import { UsageError } from './service-options.ts';

interface Command {
  summary: string;
  usage(): string;
  run(argv: readonly string[]): Promise<number>;
}

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  serve: { summary: 'run the load balancer service', load: () => import('./serve.ts') },
  demo: { summary: 'run the service with a synthetic fleet and gateway traffic (npm start)', load: () => import('./demo.ts') },
  sim: { summary: 'simulate scenarios against zonelb and baseline strategies; write an HTML report', load: () => import('./sim.ts') },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length)) + 4;
  return [
    'Usage: zonelb <command> [options]',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}${c.summary}`),
    '',
    'Run "zonelb <command> --help" for its options.',
  ].join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const entry = COMMANDS[name];
  if (entry === undefined) {
    console.error(`zonelb: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  const command = await entry.load();
  try {
    return await command.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(e.message);
      return 2;
    }
    if (e instanceof ZonelbError) {
      console.error(`zonelb ${name}: ${e.code}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
