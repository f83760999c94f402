// `gradpilot <command>`: dispatches to one module per command, loaded on demand so that
// `gradpilot replay` does not pay for express or TensorFlow.js.

const USAGE = `gradpilot <command> [options]

Commands:
  serve        run the server and dashboard (default http://127.0.0.1:7070)
  replay       run the clipping controller over a log of gradient norms
  export       write a run's steps as CSV
  spill        list or send the steps SDKs kept on disk while the server was away
  demo         train a small TensorFlow.js RNN that streams to a server

Run \`gradpilot <command> --help\` for a command's options.`;

type CommandModule = { run(args: string[]): Promise<number> };

const commands: Record<string, () => Promise<CommandModule>> = {
  serve: () => import('./serve.ts'),
  replay: () => import('./replay.ts'),
  export: () => import('./export.ts'),
  spill: () => import('./spill.ts'),
  demo: () => import('../demo/demo.ts'),
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE + '\n');
    return name === undefined ? 2 : 0;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`gradpilot: unknown command "${name}". Expected one of: ${Object.keys(commands).join(', ')}\n`);
    return 2;
  }
  const command = await load();
  return command.run(rest);
}
