// PLACEHOLDER: replaced by the module's owner. Must export run(args): Promise<number>.
export async function run(_args: string[]): Promise<number> {
  process.stderr.write('not built yet\n');
  return 1;
}
