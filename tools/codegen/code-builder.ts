// Indented line buffer for emitting source text.

export class CodeBuilder {
  private readonly lines: string[] = [];
  private depth = 0;

  line(text: string): void {
    this.lines.push(text === '' ? '' : '  '.repeat(this.depth) + text);
  }

  blank(): void {
    if (this.lines.length > 0 && this.lines[this.lines.length - 1] !== '') this.lines.push('');
  }

  /** Writes `text` and indents what follows. */
  open(text: string): void {
    this.line(text);
    this.depth++;
  }

  /** Outdents, writes `text` (e.g. `} else {`), and indents again. */
  mid(text: string): void {
    this.depth--;
    this.line(text);
    this.depth++;
  }

  /** Outdents and writes `text` when given. */
  close(text?: string): void {
    this.depth--;
    if (this.depth < 0) throw new Error('unbalanced close');
    if (text !== undefined) this.line(text);
  }

  indent(): void {
    this.depth++;
  }

  /** A position to ask `usedSince` about. */
  mark(): number {
    return this.lines.length;
  }

  /** Whether `identifier` appears as a whole word in the lines written after `mark`, outside string literals. */
  usedSince(mark: number, identifier: string): boolean {
    const word = new RegExp(`(^|[^A-Za-z0-9_$.])${identifier.replace(/\$/g, '\\$')}(?![A-Za-z0-9_$])`);
    for (let i = mark; i < this.lines.length; i++) {
      if (word.test(this.lines[i].replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""'))) return true;
    }
    return false;
  }

  toString(): string {
    return this.lines.join('\n') + '\n';
  }
}
