// The bench scripts' command line: parseArgs over their options, --help printing their text, and one-line errors
// prefixed by the script's name (exit 2).
import { parseArgs } from 'node:util';

/** Parse process.argv for `name`'s options; returns the values and the script's fail(msg). */
export function scriptArgs(name, help, options) {
  const fail = (msg) => {
    console.error(`${name}: ${msg}`);
    process.exit(2);
  };
  let values;
  try {
    values = parseArgs({ options: { ...options, help: { type: 'boolean', short: 'h' } } }).values;
  } catch (e) {
    fail(e.message.split('\n')[0]);
  }
  if (values.help) {
    console.log(help);
    process.exit(0);
  }
  return { opts: values, fail };
}
