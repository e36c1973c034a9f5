// Whether to colour output: only on a terminal, and never when NO_COLOR is set (https://no-color.org).
export function colorsEnabled(stream: { isTTY?: boolean }): boolean {
  const noColor = process.env.NO_COLOR;
  return stream.isTTY === true && (noColor === undefined || noColor === '');
}

/** cli-table3 options: its default styling writes ANSI colour codes, which a pipe or NO_COLOR must not get. */
export function tableStyle(stream: { isTTY?: boolean }): { style?: { head: string[]; border: string[] } } {
  return colorsEnabled(stream) ? {} : { style: { head: [], border: [] } };
}
