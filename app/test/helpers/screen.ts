/**
 * What a terminal shows after a stream of output: enough of a VT100 for line-oriented programs (printable text with
 * wrapping, CR, LF, backspace, cursor up, cursor to a column, erase to the end of the screen or line; colours and other controls
 * ignored). The tests judge what a person would see on the screen, not the bytes.
 */
export function screenText(output: string, columns: number): string {
  const rows: string[][] = [[]];
  let row = 0;
  let col = 0;
  const line = () => (rows[row] ??= []);
  for (let i = 0; i < output.length; i++) {
    const char = output[i];
    if (char === "\x1b") {
      const csi = /^\x1b\[([?\d;]*)([A-Za-z])/.exec(output.slice(i));
      const osc = /^\x1b\][^\x07]*\x07/.exec(output.slice(i));
      if (csi) {
        const n = Number(csi[1] || "1");
        if (csi[2] === "A") row = Math.max(0, row - n);
        if (csi[2] === "G") col = n - 1;
        if (csi[2] === "J") {
          line().length = Math.min(line().length, col);
          rows.length = row + 1;
        }
        if (csi[2] === "K") line().length = Math.min(line().length, col);
        i += csi[0].length - 1;
      } else if (osc) i += osc[0].length - 1;
      continue;
    }
    if (char === "\r") col = 0;
    else if (char === "\n") row += 1;
    else if (char === "\b") col = Math.max(0, col - 1);
    else if (char >= " ") {
      if (col >= columns) {
        row += 1;
        col = 0;
      }
      line()[col] = char;
      col += 1;
    }
  }
  return Array.from(rows, (cells) => Array.from(cells ?? [], (cell) => cell ?? " ").join("").trimEnd()).join("\n");
}
